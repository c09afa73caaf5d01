#ifndef ARGUS_COMMON_TOKEN_STORE_H_
#define ARGUS_COMMON_TOKEN_STORE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/pg_pool.h"

namespace argus {

struct Org {
  std::string id;    // UUID
  std::string slug;  // e.g. "acme"
};

struct TokenGrant {
  Org org;  // empty for an operator token
  std::vector<std::string> scopes;
};

// A token as `argusctl token list` shows it: never the token itself.
struct TokenInfo {
  std::string id;
  std::string org;  // slug; "" for an operator token
  std::vector<std::string> scopes;
  std::string label;
  std::string created_at;  // RFC 3339 UTC
  std::string revoked_at;  // "" while live
};

// SQL for orgs and API tokens. Tokens are stored as SHA-256 hashes only.
class TokenStore {
 public:
  explicit TokenStore(PgPool* pool) : pool_(pool) {}

  // Creates the org if it does not exist yet.
  absl::StatusOr<Org> EnsureOrg(const std::string& slug);
  // NOT_FOUND if there is no such org.
  absl::StatusOr<Org> FindOrg(const std::string& slug);
  // `org` empty for an operator token. Returns the token's id.
  absl::StatusOr<std::string> InsertToken(const Org& org, const std::string& token_hash,
                                          const std::vector<std::string>& scopes,
                                          const std::string& label);
  absl::StatusOr<std::vector<TokenInfo>> ListTokens();
  // NOT_FOUND when there is no such token; revoking twice is a no-op.
  absl::Status RevokeToken(const std::string& id);
  // nullopt when no live token has this hash.
  absl::StatusOr<std::optional<TokenGrant>> LookupToken(const std::string& token_hash);

 private:
  PgPool* pool_;
};

}  // namespace argus

#endif  // ARGUS_COMMON_TOKEN_STORE_H_
