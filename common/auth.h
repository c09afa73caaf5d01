#ifndef ARGUS_COMMON_AUTH_H_
#define ARGUS_COMMON_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <mutex>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/token_store.h"

namespace argus {

inline constexpr char kScopeAdmin[] = "admin";
inline constexpr char kScopePublish[] = "publish";

// Who is calling: an org's token, or a service holding the internal token
// acting for the org named in its request.
struct Caller {
  Org org;
  bool internal = false;
};

// A new API token: "argus_" + 43 base64url characters (32 random bytes).
std::string GenerateApiToken();

// What is stored for a token: its SHA-256 (raw bytes).
std::string HashApiToken(absl::string_view token);

// The token of an "authorization: Bearer <token>" value. UNAUTHENTICATED
// with a message saying what is wrong when absent or malformed.
absl::StatusOr<absl::string_view> ParseBearer(absl::string_view header);

// Checks the bearer token of each call. Known tokens are cached briefly so
// authentication costs no query on a hot path.
class Authenticator {
 public:
  // `internal_token`: ARGUS_INTERNAL_TOKEN, empty to accept none.
  Authenticator(TokenStore* store, std::string internal_token,
                absl::Duration cache_ttl = absl::Seconds(30));

  // UNAUTHENTICATED: no or unknown token. PERMISSION_DENIED: the token lacks
  // `scope`, or `requested_org` is set by a caller that is not internal.
  // The internal token needs `requested_org` and acts for that org.
  absl::StatusOr<Caller> Authenticate(const grpc::ServerContextBase& context,
                                      absl::string_view scope,
                                      const std::string& requested_org = "");

 private:
  struct CachedGrant {
    TokenGrant grant;
    absl::Time expires;
  };

  absl::StatusOr<TokenGrant> Lookup(const std::string& hash);

  TokenStore* store_;
  const std::string internal_token_;
  const absl::Duration cache_ttl_;
  std::mutex mu_;
  absl::flat_hash_map<std::string, CachedGrant> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace argus

#endif  // ARGUS_COMMON_AUTH_H_
