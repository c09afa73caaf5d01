#ifndef ARGUS_COMMON_AUTH_H_
#define ARGUS_COMMON_AUTH_H_

#include <grpcpp/grpcpp.h>

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "common/token_store.h"

namespace argus {

inline constexpr char kScopeAdmin[] = "admin";
inline constexpr char kScopePublish[] = "publish";
// The platform's operators (Deliverer.GetStatus, Deliverer.Drain): a token
// of no org, which reads no org's data.
inline constexpr char kScopeOperator[] = "operator";

// Who is calling: an org's token, an operator's token (org empty), or a
// service holding the internal token acting for the org named in its
// request.
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

// Checks the bearer token of each call. Known tokens are cached briefly
// (`cache_ttl`: a revoked token stops working within it) and unknown ones
// too (`negative_ttl`), so authentication costs no query on a hot path and a
// flood of bad tokens costs one query per distinct token, not per call.
class Authenticator {
 public:
  // `internal_token`: ARGUS_INTERNAL_TOKEN, empty to accept none.
  Authenticator(TokenStore* store, std::string internal_token,
                absl::Duration cache_ttl = absl::Seconds(3),
                absl::Duration negative_ttl = absl::Seconds(2));

  // What can be told of the call's token without a database look-up: an
  // error for a malformed header, or a token known (from the caches) to be
  // unknown or to lack `scope`; OK otherwise (Authenticate decides). Cheap
  // enough for a gRPC callback thread: calls refused here are never queued.
  absl::Status PreCheck(const grpc::ServerContextBase& context, absl::string_view scope);

  // UNAUTHENTICATED: no or unknown token. PERMISSION_DENIED: the token lacks
  // `scope`, or `requested_org` is set by a caller that is not internal.
  // The internal token needs `requested_org` and acts for that org.
  absl::StatusOr<Caller> Authenticate(const grpc::ServerContextBase& context,
                                      absl::string_view scope,
                                      const std::string& requested_org = "");

 private:
  struct CachedGrant {
    std::optional<TokenGrant> grant;  // nullopt: no such live token
    absl::Time expires;
  };

  absl::StatusOr<TokenGrant> Lookup(const std::string& hash);
  // The cached grant, if fresh: the grant, or UNAUTHENTICATED when the
  // token is known to be unknown.
  std::optional<absl::StatusOr<TokenGrant>> Cached(const std::string& hash);
  static absl::Status CheckScope(const TokenGrant& grant, absl::string_view scope);

  TokenStore* store_;
  const std::string internal_token_;
  const absl::Duration cache_ttl_;
  const absl::Duration negative_ttl_;
  Mutex mu_;
  absl::flat_hash_map<std::string, CachedGrant> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace argus

#endif  // ARGUS_COMMON_AUTH_H_
