#include "proto/lenient_requests.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <limits>
#include <string>
#include <vector>

#include "common/utf8_text.h"

namespace argus {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

// Nesting we follow into messages (protobuf's own parse limit).
constexpr int kMaxDepth = 100;
// Bytes re-parsed in all, whatever the nesting: each level parses its
// message again, so without a budget a 16 MiB request nested 100 deep would
// cost 100 parses of 16 MiB, before anyone is authenticated.
constexpr int64_t kParseBudgetBytes = 64 * 1024 * 1024;

// Replaces invalid UTF-8 in the string fields of `fields` (the wire form of
// a `type` message), following nested messages while `budget` (bytes still
// to re-parse) lasts. `bad` receives the path of the first invalid field.
// Returns true when something was replaced.
bool Scrub(UnknownFieldSet& fields, const Descriptor* type, const std::string& prefix,
           std::string* bad, int depth, int64_t* budget) {
  bool changed = false;
  for (int i = 0; i < fields.field_count(); ++i) {
    UnknownField* f = fields.mutable_field(i);
    if (f->type() != UnknownField::TYPE_LENGTH_DELIMITED) continue;
    const FieldDescriptor* fd = type->FindFieldByNumber(f->number());
    if (fd == nullptr) continue;
    std::string path = prefix.empty() ? fd->name() : prefix + "." + fd->name();
    if (fd->type() == FieldDescriptor::TYPE_STRING) {
      if (IsValidUtf8(f->length_delimited())) continue;
      if (bad->empty()) *bad = path;
      *f->mutable_length_delimited() =
          ToSafeText(f->length_delimited(), std::numeric_limits<size_t>::max());
      changed = true;
    } else if (fd->type() == FieldDescriptor::TYPE_MESSAGE && depth < kMaxDepth) {
      *budget -= static_cast<int64_t>(f->length_delimited().size());
      if (*budget < 0) return changed;
      UnknownFieldSet nested;
      if (!nested.ParseFromString(f->length_delimited())) continue;
      if (Scrub(nested, fd->message_type(), path, bad, depth + 1, budget)) {
        f->mutable_length_delimited()->clear();
        nested.SerializeToString(f->mutable_length_delimited());
        changed = true;
      }
    }
  }
  return changed;
}

}  // namespace

std::string InvalidUtf8Field(const google::protobuf::Message& request) {
  const UnknownFieldSet& unknown = request.GetReflection()->GetUnknownFields(request);
  for (int i = unknown.field_count() - 1; i >= 0; --i) {
    const UnknownField& f = unknown.field(i);
    if (f.number() == kInvalidUtf8MarkField && f.type() == UnknownField::TYPE_LENGTH_DELIMITED) {
      return f.length_delimited();
    }
  }
  return "";
}

grpc::Status SerializeRequest(const google::protobuf::MessageLite& msg, grpc::ByteBuffer* bb,
                              bool* own_buffer) {
  return grpc::GenericSerialize<grpc::ProtoBufferWriter, google::protobuf::MessageLite>(msg, bb,
                                                                                        own_buffer);
}

grpc::Status DeserializeRequestLeniently(grpc::ByteBuffer* buffer, google::protobuf::Message* msg) {
  if (buffer == nullptr) return grpc::Status(grpc::StatusCode::INTERNAL, "No payload");
  {
    grpc::ProtoBufferReader reader(buffer);  // reads without consuming
    if (!reader.status().ok()) return reader.status();
    if (msg->ParseFromZeroCopyStream(&reader)) {
      buffer->Clear();
      return grpc::Status::OK;
    }
  }
  // The slow path, for what protobuf refused: as raw fields, with every
  // string field made valid text, then parsed again and marked.
  std::vector<grpc::Slice> slices;
  buffer->Dump(&slices);
  buffer->Clear();
  std::string bytes;
  for (const grpc::Slice& s : slices)
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  UnknownFieldSet fields;
  std::string bad;
  int64_t budget = kParseBudgetBytes;
  if (!fields.ParseFromString(bytes) ||
      !Scrub(fields, msg->GetDescriptor(), "", &bad, 0, &budget)) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot parse the request");
  }
  std::string scrubbed;
  fields.SerializeToString(&scrubbed);
  msg->Clear();
  if (!msg->ParseFromString(scrubbed)) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "cannot parse the request");
  }
  msg->GetReflection()->MutableUnknownFields(msg)->AddLengthDelimited(kInvalidUtf8MarkField, bad);
  return grpc::Status::OK;
}

}  // namespace argus
