#include "common/flags.h"

#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/build_info.h"
#include "common/log.h"
#include "common/status_macros.h"

ABSL_FLAG(std::string, database_url, "",
          "PostgreSQL URI, e.g. postgresql://argus@127.0.0.1:5432/argus "
          "(env ARGUS_DATABASE_URL)");
ABSL_FLAG(std::string, grpc_listen, "",
          "host:port for gRPC; port 0 picks a free one (env ARGUS_GRPC_LISTEN)");
ABSL_FLAG(std::string, metrics_listen, "",
          "host:port for Prometheus /metrics (env ARGUS_METRICS_LISTEN)");
ABSL_FLAG(std::string, secret_key, "",
          "base64 of 32 bytes; encrypts signing secrets at rest "
          "(env ARGUS_SECRET_KEY)");
ABSL_FLAG(bool, allow_insecure_targets, false,
          "DEV AND TESTS ONLY: allow http:// and loopback/private targets");
ABSL_FLAG(std::string, allowed_target_cidrs, "",
          "comma-separated CIDRs exempt from the private-address block, "
          "e.g. 127.0.0.0/8 for tests");
ABSL_FLAG(int, db_pool_size, 8, "PostgreSQL connections (and DB workers)");

namespace argus {

std::vector<char*> ParseFlagsWithEnv(int argc, char** argv, const char* usage) {
  absl::SetProgramUsageMessage(usage);
  // --help lists our flags (those of services/ and common/, not Abseil's or
  // gRPC's; --helpfull has every one); --version names the build.
  absl::FlagsUsageConfig config;
  // (Called with the names normalize_filename returns.)
  auto ours = [](absl::string_view file) {
    return absl::StartsWith(file, "services/") || absl::StartsWith(file, "common/");
  };
  config.contains_help_flags = ours;
  config.contains_helpshort_flags = ours;
  config.normalize_filename = [](absl::string_view file) -> std::string {
    for (absl::string_view root : {"/services/", "/common/"}) {
      if (size_t at = file.find(root); at != absl::string_view::npos) {
        return std::string(file.substr(at + 1));
      }
    }
    return std::string(file);
  };
  std::string program = argc > 0 ? argv[0] : "argus";
  program = program.substr(program.rfind('/') + 1);
  config.version_string = [program] { return VersionLine(program) + "\n"; };
  absl::SetFlagsUsageConfig(config);
  for (const auto& [name, flag] : absl::GetAllFlags()) {
    std::string env_name = absl::StrCat("ARGUS_", absl::AsciiStrToUpper(name));
    const char* value = std::getenv(env_name.c_str());
    if (value == nullptr) continue;
    std::string error;
    if (!flag->ParseFrom(value, &error)) {
      std::cerr << "invalid value in " << env_name << ": " << error << "\n";
      std::exit(2);
    }
  }
  return absl::ParseCommandLine(argc, argv);
}

absl::StatusOr<CommonConfig> LoadCommonConfig(const std::string& default_grpc_listen,
                                              const std::string& default_metrics_listen) {
  CommonConfig config;
  config.database_url = absl::GetFlag(FLAGS_database_url);
  if (config.database_url.empty()) {
    return absl::InvalidArgumentError("--database_url (or ARGUS_DATABASE_URL) is required");
  }
  config.grpc_listen = absl::GetFlag(FLAGS_grpc_listen);
  if (config.grpc_listen.empty()) config.grpc_listen = default_grpc_listen;
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  if (config.metrics_listen.empty()) {
    config.metrics_listen = default_metrics_listen;
  }
  config.db_pool_size = absl::GetFlag(FLAGS_db_pool_size);
  if (config.db_pool_size < 1 || config.db_pool_size > 256) {
    return absl::InvalidArgumentError("--db_pool_size must be in 1..256");
  }
  const char* internal_token = std::getenv("ARGUS_INTERNAL_TOKEN");
  config.internal_token = internal_token == nullptr ? "" : internal_token;
  ARGUS_RETURN_IF_ERROR(CheckInternalToken(config.internal_token));
  absl::StatusOr<GrpcCredentials> credentials = LoadGrpcCredentials(TlsFilesFromFlags());
  if (!credentials.ok()) return credentials.status();
  config.credentials = *std::move(credentials);
  return config;
}

absl::Status CheckInternalToken(absl::string_view token) {
  if (token.empty()) return absl::OkStatus();
  if (absl::StartsWithIgnoreCase(token, "REPLACE_WITH") ||
      absl::StrContains(absl::AsciiStrToLower(token), "change-me")) {
    return absl::InvalidArgumentError(
        "ARGUS_INTERNAL_TOKEN is still the example's placeholder: set it to the output of "
        "`openssl rand -hex 32`");
  }
  if (token.size() < kMinInternalTokenLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("ARGUS_INTERNAL_TOKEN must be at least ", kMinInternalTokenLength,
                     " characters (it lets a caller act for any org): use `openssl rand -hex 32`"));
  }
  return absl::OkStatus();
}

absl::StatusOr<TargetPolicy> TargetPolicyFromFlags() {
  TargetPolicy policy;
  policy.allow_insecure = absl::GetFlag(FLAGS_allow_insecure_targets);
  absl::StatusOr<std::vector<Cidr>> cidrs =
      ParseCidrList(absl::GetFlag(FLAGS_allowed_target_cidrs));
  if (!cidrs.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--allowed_target_cidrs: ", cidrs.status().message()));
  }
  policy.allowed_cidrs = *std::move(cidrs);
  if (policy.allow_insecure) {
    LogWarning(
        "INSECURE TARGETS ALLOWED: http:// and loopback/private addresses are accepted. "
        "Never run production with --allow_insecure_targets.");
  }
  return policy;
}

}  // namespace argus
