// argus-grpcurl: the part of grpcurl (github.com/fullstorydev/grpcurl) that
// our docs and tests use, built from Debian's gRPC, for machines without
// grpcurl. Everything comes from server reflection; no proto files.
//
//   argus-grpcurl -plaintext ADDR list
//   argus-grpcurl -plaintext ADDR describe SYMBOL
//   argus-grpcurl -plaintext [-H 'name: value']... [-d JSON] ADDR pkg.Service/Method
//   argus-grpcurl -cacert CA.pem [-cert C.pem -key K.pem] ADDR ...   (TLS, mTLS)
//   argus-grpcurl -insecure ADDR ...                                  (TLS, unverified)
//
// Without -plaintext the connection is TLS, verified against -cacert (or the
// system's CAs), as with grpcurl. Responses print as JSON; errors print
// grpcurl's "ERROR: Code/Message" block on stderr and exit 1.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/descriptor_database.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace {

namespace refl = grpc::reflection::v1alpha;
namespace pb = google::protobuf;

struct Args {
  bool plaintext = false;
  bool insecure = false;
  std::string cacert, cert, key;  // file paths
  std::vector<std::pair<std::string, std::string>> headers;
  std::string data;
  double max_time_s = 30;
  std::string address;
  std::vector<std::string> rest;
};

[[noreturn]] void Usage(const std::string& why) {
  std::cerr
      << "argus-grpcurl: " << why
      << "\nusage: argus-grpcurl [-plaintext | -insecure | -cacert FILE] [-cert FILE -key FILE] "
         "[-H 'name: value']... [-d JSON] [-max-time SECONDS] "
         "ADDR (list [SERVICE] | describe SYMBOL | SERVICE/METHOD)\n";
  std::exit(2);
}

Args ParseArgs(int argc, char** argv) {
  Args args;
  std::vector<std::string> positional;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage("missing value for " + a);
      return argv[++i];
    };
    if (a == "-plaintext" || a == "--plaintext") {
      args.plaintext = true;
    } else if (a == "-insecure" || a == "--insecure") {
      args.insecure = true;
    } else if (a == "-cacert" || a == "--cacert") {
      args.cacert = value();
    } else if (a == "-cert" || a == "--cert") {
      args.cert = value();
    } else if (a == "-key" || a == "--key") {
      args.key = value();
    } else if (a == "-H" || a == "-rpc-header" || a == "-reflect-header") {
      std::string h = value();
      size_t colon = h.find(':');
      if (colon == std::string::npos) Usage("header must be 'name: value'");
      std::string name = h.substr(0, colon);
      std::string val = h.substr(colon + 1);
      val.erase(0, val.find_first_not_of(' '));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      args.headers.emplace_back(name, val);
    } else if (a == "-d") {
      args.data = value();
      if (args.data == "@") {
        args.data.assign(std::istreambuf_iterator<char>(std::cin), {});
      }
    } else if (a == "-max-time") {
      args.max_time_s = std::stod(value());
    } else if (!a.empty() && a[0] == '-') {
      Usage("unsupported flag " + a);
    } else {
      positional.push_back(a);
    }
  }
  if (args.plaintext && (args.insecure || !args.cacert.empty() || !args.cert.empty())) {
    Usage("-plaintext cannot go with -insecure, -cacert or -cert");
  }
  if (args.cert.empty() != args.key.empty()) Usage("-cert and -key go together");
  if (positional.size() < 2) Usage("need ADDR and a command");
  args.address = positional[0];
  args.rest.assign(positional.begin() + 1, positional.end());
  return args;
}

std::string ReadFileOrDie(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Usage("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(const Args& args) {
  if (args.plaintext) return grpc::InsecureChannelCredentials();
  std::string cert = args.cert.empty() ? "" : ReadFileOrDie(args.cert);
  std::string key = args.key.empty() ? "" : ReadFileOrDie(args.key);
  if (args.insecure) {
    namespace exp = grpc::experimental;
    exp::TlsChannelCredentialsOptions options;
    options.set_verify_server_certs(false);
    options.set_check_call_host(false);
    options.set_certificate_verifier(std::make_shared<exp::NoOpCertificateVerifier>());
    if (!cert.empty()) {
      options.set_certificate_provider(std::make_shared<exp::StaticDataCertificateProvider>(
          std::vector<exp::IdentityKeyCertPair>{{key, cert}}));
      options.watch_identity_key_cert_pairs();
    }
    return exp::TlsCredentials(options);
  }
  grpc::SslCredentialsOptions options;
  if (!args.cacert.empty()) options.pem_root_certs = ReadFileOrDie(args.cacert);
  options.pem_cert_chain = cert;
  options.pem_private_key = key;
  return grpc::SslCredentials(options);
}

std::unique_ptr<grpc::ClientContext> Context(const Args& args) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  for (const auto& [k, v] : args.headers) ctx->AddMetadata(k, v);
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::milliseconds(static_cast<int64_t>(args.max_time_s * 1000)));
  return ctx;
}

std::string CodeName(grpc::StatusCode code) {
  static const char* kNames[] = {
      "OK",       "Canceled",       "Unknown",          "InvalidArgument",   "DeadlineExceeded",
      "NotFound", "AlreadyExists",  "PermissionDenied", "ResourceExhausted", "FailedPrecondition",
      "Aborted",  "OutOfRange",     "Unimplemented",    "Internal",          "Unavailable",
      "DataLoss", "Unauthenticated"};
  int i = static_cast<int>(code);
  return i >= 0 && i < 17 ? kNames[i] : "Unknown";
}

[[noreturn]] void Fail(const grpc::Status& status) {
  std::cerr << "ERROR:\n  Code: " << CodeName(status.error_code())
            << "\n  Message: " << status.error_message() << "\n";
  std::exit(1);
}

// Fetches descriptors over one reflection stream and answers lookups.
class ReflectionClient {
 public:
  ReflectionClient(std::shared_ptr<grpc::Channel> channel, const Args& args)
      : stub_(refl::ServerReflection::NewStub(channel)),
        context_(Context(args)),
        stream_(stub_->ServerReflectionInfo(context_.get())) {}

  std::vector<std::string> ListServices() {
    refl::ServerReflectionRequest req;
    req.set_list_services("*");
    refl::ServerReflectionResponse resp = Ask(req);
    std::vector<std::string> names;
    for (const auto& s : resp.list_services_response().service()) names.push_back(s.name());
    return names;
  }

  // Loads the file defining `symbol` and everything it imports.
  void LoadSymbol(const std::string& symbol) {
    refl::ServerReflectionRequest req;
    req.set_file_containing_symbol(symbol);
    AddFiles(Ask(req));
  }

  const pb::DescriptorPool& pool() { return pool_; }

 private:
  refl::ServerReflectionResponse Ask(const refl::ServerReflectionRequest& req) {
    refl::ServerReflectionResponse resp;
    if (!stream_->Write(req) || !stream_->Read(&resp)) {
      stream_->WritesDone();
      Fail(stream_->Finish());
    }
    if (resp.has_error_response()) {
      Fail(grpc::Status(static_cast<grpc::StatusCode>(resp.error_response().error_code()),
                        resp.error_response().error_message()));
    }
    return resp;
  }

  void AddFiles(const refl::ServerReflectionResponse& resp) {
    for (const std::string& bytes : resp.file_descriptor_response().file_descriptor_proto()) {
      pb::FileDescriptorProto file;
      file.ParseFromString(bytes);
      if (!seen_.insert(file.name()).second) continue;
      db_.Add(file);
      for (const std::string& dep : file.dependency()) {
        if (seen_.count(dep)) continue;
        refl::ServerReflectionRequest req;
        req.set_file_by_filename(dep);
        AddFiles(Ask(req));
      }
    }
  }

  std::unique_ptr<refl::ServerReflection::Stub> stub_;
  std::unique_ptr<grpc::ClientContext> context_;
  std::unique_ptr<
      grpc::ClientReaderWriter<refl::ServerReflectionRequest, refl::ServerReflectionResponse>>
      stream_;
  std::set<std::string> seen_;
  pb::SimpleDescriptorDatabase db_;
  pb::DescriptorPool pool_{&db_};
};

int Invoke(const Args& args, std::shared_ptr<grpc::Channel> channel, ReflectionClient& refl,
           std::string full_method) {
  size_t slash = full_method.rfind('/');
  if (slash == std::string::npos) slash = full_method.rfind('.');
  if (slash == std::string::npos) Usage("method must be SERVICE/METHOD");
  std::string service = full_method.substr(0, slash);
  std::string method_name = full_method.substr(slash + 1);
  refl.LoadSymbol(service);
  const pb::ServiceDescriptor* sd = refl.pool().FindServiceByName(service);
  if (sd == nullptr) Usage("service not found: " + service);
  const pb::MethodDescriptor* md = sd->FindMethodByName(method_name);
  if (md == nullptr) Usage("method not found: " + full_method);
  if (md->client_streaming() || md->server_streaming()) Usage("only unary methods are supported");

  pb::DynamicMessageFactory factory(&refl.pool());
  std::unique_ptr<pb::Message> request(factory.GetPrototype(md->input_type())->New());
  std::unique_ptr<pb::Message> response(factory.GetPrototype(md->output_type())->New());
  if (!args.data.empty()) {
    auto parsed = pb::util::JsonStringToMessage(args.data, request.get());
    if (!parsed.ok()) {
      std::cerr << "Error invoking method \"" << full_method
                << "\": error getting request data: " << parsed.message() << "\n";
      return 1;
    }
  }
  std::string wire;
  request->SerializeToString(&wire);
  grpc::Slice slice(wire);
  grpc::ByteBuffer send(&slice, 1);
  grpc::ByteBuffer received;

  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  auto ctx = Context(args);
  auto call = stub.PrepareUnaryCall(ctx.get(), "/" + service + "/" + method_name, send, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&received, &status, reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  cq.Next(&tag, &ok);
  if (!status.ok()) Fail(status);

  std::vector<grpc::Slice> slices;
  (void)received.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  response->ParseFromString(bytes);
  std::string json;
  pb::util::JsonPrintOptions options;
  options.add_whitespace = true;
  (void)pb::util::MessageToJsonString(*response, &json, options);
  std::cout << json << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = ParseArgs(argc, argv);
  auto channel = grpc::CreateChannel(args.address, Credentials(args));
  ReflectionClient refl(channel, args);
  const std::string& command = args.rest[0];
  if (command == "list") {
    if (args.rest.size() == 1) {
      for (const std::string& s : refl.ListServices()) std::cout << s << "\n";
      return 0;
    }
    refl.LoadSymbol(args.rest[1]);
    const pb::ServiceDescriptor* sd = refl.pool().FindServiceByName(args.rest[1]);
    if (sd == nullptr) Usage("service not found: " + args.rest[1]);
    for (int i = 0; i < sd->method_count(); ++i) std::cout << sd->method(i)->full_name() << "\n";
    return 0;
  }
  if (command == "describe") {
    if (args.rest.size() != 2) Usage("describe needs a SYMBOL");
    refl.LoadSymbol(args.rest[1]);
    const pb::ServiceDescriptor* sd = refl.pool().FindServiceByName(args.rest[1]);
    if (sd != nullptr) {
      std::cout << sd->DebugString();
      return 0;
    }
    const pb::Descriptor* d = refl.pool().FindMessageTypeByName(args.rest[1]);
    if (d == nullptr) Usage("symbol not found: " + args.rest[1]);
    std::cout << d->DebugString();
    return 0;
  }
  return Invoke(args, channel, refl, command);
}
