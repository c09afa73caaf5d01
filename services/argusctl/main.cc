// argusctl: applies migrations and mints API tokens.
//
//   argusctl migrate
//   TOKEN=$(argusctl token create --org acme --scope admin)
//
// Only the token goes to stdout; everything else goes to stderr. The database
// comes from --database_url or ARGUS_DATABASE_URL, like the services.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/pg_pool.h"
#include "common/schema_migrator.h"
#include "common/slug.h"
#include "common/token_store.h"

ABSL_FLAG(std::string, org, "", "token create: the org (slug) the token belongs to");
ABSL_FLAG(std::string, scope, "", "token create: admin (registry) or publish (ingest)");
ABSL_FLAG(std::string, label, "", "token create: a note stored with the token");

namespace argus {
namespace {

constexpr char kUsage[] =
    "argusctl: Argus Webhooks admin tool.\n"
    "  argusctl migrate                                     apply database migrations\n"
    "  argusctl token create --org ORG --scope admin|publish  print a new API token\n"
    "The database comes from --database_url or ARGUS_DATABASE_URL.";

absl::Status Migrate(const std::string& url) {
  absl::StatusOr<int> applied = ApplyMigrations(url, EmbeddedMigrations());
  if (!applied.ok()) return applied.status();
  std::cerr << "migrations: " << *applied << " applied, schema at version "
            << EmbeddedMigrations().back().version << "\n";
  return absl::OkStatus();
}

absl::Status CreateToken(const std::string& url) {
  const std::string org = absl::GetFlag(FLAGS_org);
  const std::string scope = absl::GetFlag(FLAGS_scope);
  if (org.empty()) return absl::InvalidArgumentError("--org is required");
  if (absl::Status s = ValidateSlug("--org", org); !s.ok()) return s;
  if (scope != kScopeAdmin && scope != kScopePublish) {
    return absl::InvalidArgumentError("--scope must be admin or publish");
  }
  PgPool pool({.url = url, .size = 1});
  TokenStore store(&pool);
  absl::StatusOr<Org> created = store.EnsureOrg(org);
  if (!created.ok()) return created.status();
  std::string token = GenerateApiToken();
  if (absl::Status s = store.InsertToken(*created, HashApiToken(token), {scope},
                                         absl::GetFlag(FLAGS_label));
      !s.ok()) {
    return s;
  }
  std::cout << token << std::endl;
  std::cerr << "created a token with scope " << scope << " for org " << org
            << " (shown once; only its hash is stored)\n";
  return absl::OkStatus();
}

absl::Status Run(const std::vector<std::string>& args) {
  const std::string url = absl::GetFlag(FLAGS_database_url);
  if (args.empty()) return absl::InvalidArgumentError(kUsage);
  if (url.empty()) {
    return absl::InvalidArgumentError("--database_url (or ARGUS_DATABASE_URL) is required");
  }
  if (args == std::vector<std::string>{"migrate"}) return Migrate(url);
  if (args == std::vector<std::string>{"token", "create"}) return CreateToken(url);
  return absl::InvalidArgumentError(
      absl::StrCat("unknown command \"", absl::StrJoin(args, " "), "\"\n", kUsage));
}

}  // namespace
}  // namespace argus

int main(int argc, char** argv) {
  argus::SetLogService("argusctl");
  std::vector<char*> positional = argus::ParseFlagsWithEnv(argc, argv, argus::kUsage);
  std::vector<std::string> args(positional.begin() + 1, positional.end());
  absl::Status status = argus::Run(args);
  if (!status.ok()) {
    std::cerr << "argusctl: " << status.message() << "\n";
    return 2;
  }
  return 0;
}
