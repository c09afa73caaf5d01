// argusctl: applies migrations, mints API tokens, and receives webhooks
// locally for trying things out.
//
//   argusctl migrate
//   TOKEN=$(argusctl token create --org acme --scope admin)
//   OPERATOR=$(argusctl token create --scope operator)
//   argusctl token list
//   argusctl token revoke ID
//   argusctl listen --port 9999 --secret whsec_…   (a receiver on 127.0.0.1)
//
// Only the token goes to stdout; everything else goes to stderr. The database
// comes from --database_url or ARGUS_DATABASE_URL, like the services.
//
// Threads: main only (`listen` serves one request at a time on it).
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/auth.h"
#include "common/flags.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/pg_pool.h"
#include "common/schema_migrator.h"
#include "common/slug.h"
#include "common/status_macros.h"
#include "common/token_store.h"
#include "services/argusctl/listen.h"

ABSL_FLAG(std::string, org, "",
          "token create: the org (slug) the token belongs to (none for --scope operator)");
ABSL_FLAG(std::string, scope, "",
          "token create: admin (registry), publish (ingest) or operator (deliverer status "
          "and drain; belongs to no org)");
ABSL_FLAG(std::string, label, "", "token create: a note stored with the token");

ABSL_FLAG(int, port, 0, "listen: the port on 127.0.0.1 to receive webhooks on");
ABSL_FLAG(std::string, secret, "",
          "listen: the endpoint's signing secret (whsec_…), to check the signatures");
ABSL_FLAG(int, count, 0, "listen: exit after this many deliveries (0: until Ctrl-C)");

namespace argus {
namespace {

constexpr char kUsage[] =
    "Argus Webhooks admin tool.\n"
    "  argusctl migrate                                     apply database migrations\n"
    "  argusctl token create --org ORG --scope admin|publish  print a new API token\n"
    "  argusctl token create --scope operator               print a new operator token\n"
    "  argusctl token list                                  list tokens (never the tokens)\n"
    "  argusctl token revoke ID                             revoke a token (within 5 s)\n"
    "  argusctl listen --port P [--secret whsec_…] [--count N]\n"
    "                                                       receive webhooks on 127.0.0.1:P,\n"
    "                                                       print them, check the signatures\n"
    "The database comes from --database_url or ARGUS_DATABASE_URL (not needed by listen).";

absl::Status Migrate(const std::string& url) {
  ARGUS_ASSIGN_OR_RETURN(int applied, ApplyMigrations(url, EmbeddedMigrations()));
  std::cerr << "migrations: " << applied << " applied, schema at version "
            << EmbeddedMigrations().back().version << "\n";
  return absl::OkStatus();
}

absl::Status CreateToken(const std::string& url) {
  const std::string org = absl::GetFlag(FLAGS_org);
  const std::string scope = absl::GetFlag(FLAGS_scope);
  if (scope == kScopeOperator) {
    if (!org.empty()) {
      return absl::InvalidArgumentError("--scope operator tokens belong to no org: drop --org");
    }
  } else {
    if (scope != kScopeAdmin && scope != kScopePublish) {
      return absl::InvalidArgumentError("--scope must be admin, publish or operator");
    }
    if (org.empty()) return absl::InvalidArgumentError("--org is required");
    ARGUS_RETURN_IF_ERROR(ValidateSlug("--org", org));
  }
  PgPool pool({.url = url, .size = 1});
  TokenStore store(&pool);
  Org owner;
  if (!org.empty()) {
    ARGUS_ASSIGN_OR_RETURN(Org created, store.EnsureOrg(org));
    owner = created;
  }
  std::string token = GenerateApiToken();
  ARGUS_ASSIGN_OR_RETURN(std::string id, store.InsertToken(owner, HashApiToken(token), {scope},
                                                           absl::GetFlag(FLAGS_label)));
  std::cout << token << std::endl;
  std::cerr << "created token " << id << " with scope " << scope
            << (org.empty() ? std::string() : " for org " + org)
            << " (shown once; only its hash is stored)\n";
  return absl::OkStatus();
}

absl::Status ListTokens(const std::string& url) {
  PgPool pool({.url = url, .size = 1});
  ARGUS_ASSIGN_OR_RETURN(std::vector<TokenInfo> tokens, TokenStore(&pool).ListTokens());
  std::cout << "ID\tORG\tSCOPES\tLABEL\tCREATED\tREVOKED\n";
  for (const TokenInfo& t : tokens) {
    std::cout << t.id << "\t" << (t.org.empty() ? "-" : t.org) << "\t"
              << absl::StrJoin(t.scopes, ",") << "\t" << t.label << "\t" << t.created_at << "\t"
              << (t.revoked_at.empty() ? "-" : t.revoked_at) << "\n";
  }
  return absl::OkStatus();
}

absl::Status RevokeToken(const std::string& url, const std::string& id) {
  if (!IsUuid(id)) return absl::InvalidArgumentError("token revoke: ID must be a token id (UUID)");
  PgPool pool({.url = url, .size = 1});
  ARGUS_RETURN_IF_ERROR(TokenStore(&pool).RevokeToken(id));
  std::cerr << "revoked token " << id << "; running services refuse it within 5 s\n";
  return absl::OkStatus();
}

absl::Status Run(const std::vector<std::string>& args) {
  const std::string url = absl::GetFlag(FLAGS_database_url);
  if (args.empty()) return absl::InvalidArgumentError(kUsage);
  if (args == std::vector<std::string>{"listen"}) {
    return Listen({.port = absl::GetFlag(FLAGS_port),
                   .secret = absl::GetFlag(FLAGS_secret),
                   .count = absl::GetFlag(FLAGS_count)});
  }
  if (url.empty()) {
    return absl::InvalidArgumentError("--database_url (or ARGUS_DATABASE_URL) is required");
  }
  if (args == std::vector<std::string>{"migrate"}) return Migrate(url);
  if (args == std::vector<std::string>{"token", "create"}) return CreateToken(url);
  if (args == std::vector<std::string>{"token", "list"}) return ListTokens(url);
  if (args.size() == 3 && args[0] == "token" && args[1] == "revoke") {
    return RevokeToken(url, args[2]);
  }
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
