#ifndef ARGUS_PROTO_LENIENT_REQUESTS_H_
#define ARGUS_PROTO_LENIENT_REQUESTS_H_

// Request messages whose invalid UTF-8 is reported, not fatal.
//
// protobuf refuses a proto3 string field holding invalid UTF-8 outright (and
// logs a line per message), and gRPC answers a request it cannot parse with
// UNIMPLEMENTED and no message. For our requests these serialization traits
// parse such a message anyway, with each invalid byte replaced, and mark it
// (InvalidUtf8Field below), so the service answers
// INVALID_ARGUMENT naming the field. Force-included (-include) into every
// translation unit of a target linking argus_proto: every instantiation of
// the traits must see these specializations.

#include <grpcpp/impl/serialization_traits.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/status.h>

#include <string>

namespace google::protobuf {
class Message;
class MessageLite;
}  // namespace google::protobuf

// clang-format off
#define ARGUS_LENIENT_REQUEST_TYPES(X)                                                        \
  X(CompleteSessionRequest) X(CreateEndpointRequest) X(DeleteEndpointRequest)                 \
  X(DrainRequest) X(GetDeliveryRequest) X(GetEndpointRequest) X(GetEndpointStatsRequest) X(GetEventRequest)      \
  X(GetStatusRequest) X(ListDeliveriesRequest) X(ListEndpointsRequest)                        \
  X(ListEventTypesRequest) X(ListOpenSessionsRequest)                        \
  X(PauseEndpointRequest) X(PublishBatchRequest) X(PublishRequest) X(RecoverFailedRequest)    \
  X(RedeliverRequest) X(ResumeEndpointRequest) X(RotateSecretRequest)                         \
  X(SendTestEventRequest) X(UpdateEndpointRequest)
// clang-format on

namespace argus::webhooks::v1 {
#define ARGUS_DECLARE_REQUEST(Name) class Name;
ARGUS_LENIENT_REQUEST_TYPES(ARGUS_DECLARE_REQUEST)
#undef ARGUS_DECLARE_REQUEST
}  // namespace argus::webhooks::v1

namespace argus {

// The field number of the mark left on a request whose strings were not
// valid UTF-8 (an unknown field: never part of any of our messages).
inline constexpr int kInvalidUtf8MarkField = 536870911;

// The field of `request` whose invalid UTF-8 was replaced when it was
// received (the first such), or "" when it came in as valid text.
std::string InvalidUtf8Field(const google::protobuf::Message& request);

grpc::Status SerializeRequest(const google::protobuf::MessageLite& msg, grpc::ByteBuffer* bb,
                              bool* own_buffer);
grpc::Status DeserializeRequestLeniently(grpc::ByteBuffer* buffer, google::protobuf::Message* msg);

}  // namespace argus

#define ARGUS_LENIENT_TRAITS(Name)                                                                \
  template <>                                                                                     \
  class grpc::SerializationTraits<::argus::webhooks::v1::Name, void> {                            \
   public:                                                                                        \
    static grpc::Status Serialize(const google::protobuf::MessageLite& msg, grpc::ByteBuffer* bb, \
                                  bool* own_buffer) {                                             \
      return ::argus::SerializeRequest(msg, bb, own_buffer);                                      \
    }                                                                                             \
    static grpc::Status Deserialize(grpc::ByteBuffer* buffer, ::argus::webhooks::v1::Name* msg) { \
      return ::argus::DeserializeRequestLeniently(                                                \
          buffer, reinterpret_cast<google::protobuf::Message*>(msg));                             \
    }                                                                                             \
  };
ARGUS_LENIENT_REQUEST_TYPES(ARGUS_LENIENT_TRAITS)
#undef ARGUS_LENIENT_TRAITS

#endif  // ARGUS_PROTO_LENIENT_REQUESTS_H_
