#ifndef ARGUS_COMMON_FLAGS_H_
#define ARGUS_COMMON_FLAGS_H_

#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/target_url.h"
#include "common/tls_credentials.h"

// Flags every service shares. Each may also come from the environment:
// --database_url from ARGUS_DATABASE_URL, --secret_key from ARGUS_SECRET_KEY,
// and in general --some_flag from ARGUS_SOME_FLAG. The command line wins.
ABSL_DECLARE_FLAG(std::string, database_url);
ABSL_DECLARE_FLAG(std::string, grpc_listen);
ABSL_DECLARE_FLAG(std::string, metrics_listen);
ABSL_DECLARE_FLAG(std::string, secret_key);
ABSL_DECLARE_FLAG(bool, allow_insecure_targets);
ABSL_DECLARE_FLAG(std::string, allowed_target_cidrs);
ABSL_DECLARE_FLAG(int, db_pool_size);

namespace argus {

// Applies ARGUS_<FLAG_NAME> environment variables to flags, then parses the
// command line over them. Returns the positional arguments (argv[0] first).
// Exits with a usage message on an unknown flag or a malformed value.
std::vector<char*> ParseFlagsWithEnv(int argc, char** argv, const char* usage);

// Where the service listens and what it connects to, typed and checked.
struct CommonConfig {
  std::string database_url;
  std::string grpc_listen;
  std::string metrics_listen;
  int db_pool_size = 8;
  // ARGUS_INTERNAL_TOKEN: lets service-to-service calls act for the org they
  // name. "" when unset (then no call may).
  std::string internal_token;
  // From --tls_cert, --tls_key, --tls_client_ca, --tls_ca.
  GrpcCredentials credentials;
};

inline constexpr size_t kMinInternalTokenLength = 32;

// INVALID_ARGUMENT when a set internal token is shorter than
// kMinInternalTokenLength or still an example placeholder ("REPLACE_WITH…").
absl::Status CheckInternalToken(absl::string_view token);

// Reads the shared flags (TLS files included) and ARGUS_INTERNAL_TOKEN; empty listen flags take
// the service's defaults. INVALID_ARGUMENT names the flag that is missing or
// malformed (a service refuses to start with it).
absl::StatusOr<CommonConfig> LoadCommonConfig(const std::string& default_grpc_listen,
                                              const std::string& default_metrics_listen);

// --allow_insecure_targets and --allowed_target_cidrs as a TargetPolicy.
// Logs a loud warning when insecure targets are allowed.
absl::StatusOr<TargetPolicy> TargetPolicyFromFlags();

}  // namespace argus

#endif  // ARGUS_COMMON_FLAGS_H_
