#ifndef ARGUS_COMMON_TLS_CREDENTIALS_H_
#define ARGUS_COMMON_TLS_CREDENTIALS_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"

// PEM files for the gRPC API. --tls_cert and --tls_key make a service serve
// TLS only; --tls_client_ca also requires (and verifies) client certificates;
// --tls_ca makes its calls to other services TLS, verified against that CA
// (presenting --tls_cert/--tls_key as the client certificate when both are set).
ABSL_DECLARE_FLAG(std::string, tls_cert);
ABSL_DECLARE_FLAG(std::string, tls_key);
ABSL_DECLARE_FLAG(std::string, tls_client_ca);
ABSL_DECLARE_FLAG(std::string, tls_ca);

namespace argus {

struct TlsFiles {
  std::string cert;       // PEM chain, leaf first
  std::string key;        // PEM private key of the leaf
  std::string client_ca;  // PEM CAs that client certificates must chain to
  std::string ca;         // PEM CAs that the services called must chain to
};

TlsFiles TlsFilesFromFlags();

struct GrpcCredentials {
  std::shared_ptr<grpc::ServerCredentials> server;
  std::shared_ptr<grpc::ChannelCredentials> client;
  // For the "serving" log line: "plaintext", "tls" or "mtls".
  std::string server_mode;
};

// Reads and checks the files (each parses as PEM, the key matches the
// certificate). Without cert and key the server is plaintext; without a CA
// the clients are. INVALID_ARGUMENT names the flag and what is wrong.
absl::StatusOr<GrpcCredentials> LoadGrpcCredentials(const TlsFiles& files);

}  // namespace argus

#endif  // ARGUS_COMMON_TLS_CREDENTIALS_H_
