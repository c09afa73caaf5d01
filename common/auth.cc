#include "common/auth.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/status_macros.h"

namespace argus {
namespace {

constexpr size_t kMaxCachedTokens = 10000;

}  // namespace

std::string GenerateApiToken() {
  return absl::StrCat("argus_", absl::WebSafeBase64Escape(RandomBytes(32)));
}

std::string HashApiToken(absl::string_view token) { return Sha256(token); }

absl::StatusOr<absl::string_view> ParseBearer(absl::string_view header) {
  if (header.empty()) {
    return absl::UnauthenticatedError(
        "missing authorization metadata: send \"authorization: Bearer <token>\"");
  }
  constexpr absl::string_view kPrefix = "bearer ";
  if (header.size() <= kPrefix.size() || !absl::StartsWithIgnoreCase(header, kPrefix)) {
    return absl::UnauthenticatedError("authorization must be \"Bearer <token>\"");
  }
  absl::string_view token = absl::StripAsciiWhitespace(header.substr(kPrefix.size()));
  if (token.empty() || token.size() > 256) {
    return absl::UnauthenticatedError("malformed bearer token");
  }
  return token;
}

Authenticator::Authenticator(TokenStore* store, std::string internal_token,
                             absl::Duration cache_ttl, absl::Duration negative_ttl)
    : store_(store),
      internal_token_(std::move(internal_token)),
      cache_ttl_(cache_ttl),
      negative_ttl_(negative_ttl) {}

namespace {

absl::string_view AuthorizationHeader(const grpc::ServerContextBase& context) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  if (it == metadata.end()) return {};
  return absl::string_view(it->second.data(), it->second.size());
}

}  // namespace

std::optional<absl::StatusOr<TokenGrant>> Authenticator::Cached(const std::string& hash) {
  absl::Time now = absl::Now();
  MutexLock lock(&mu_);
  auto it = cache_.find(hash);
  if (it == cache_.end() || it->second.expires <= now) return std::nullopt;
  if (!it->second.grant) return absl::UnauthenticatedError("invalid token");
  return *it->second.grant;
}

absl::StatusOr<TokenGrant> Authenticator::Lookup(const std::string& hash) {
  if (auto cached = Cached(hash)) return *cached;
  absl::StatusOr<std::optional<TokenGrant>> found = store_->LookupToken(hash);
  if (!found.ok()) return found.status();
  MutexLock lock(&mu_);
  if (cache_.size() >= kMaxCachedTokens) cache_.clear();
  cache_[hash] = {*found, absl::Now() + (found->has_value() ? cache_ttl_ : negative_ttl_)};
  if (!found->has_value()) return absl::UnauthenticatedError("invalid token");
  return **found;
}

absl::Status Authenticator::CheckScope(const TokenGrant& grant, absl::string_view scope) {
  if (std::find(grant.scopes.begin(), grant.scopes.end(), scope) == grant.scopes.end()) {
    return absl::PermissionDeniedError(absl::StrCat("this token lacks the \"", scope, "\" scope"));
  }
  return absl::OkStatus();
}

absl::Status Authenticator::PreCheck(const grpc::ServerContextBase& context,
                                     absl::string_view scope) {
  absl::StatusOr<absl::string_view> token = ParseBearer(AuthorizationHeader(context));
  if (!token.ok()) return token.status();
  if (!internal_token_.empty() && ConstantTimeEquals(*token, internal_token_)) {
    return absl::OkStatus();  // acts for an org: looked up by Authenticate
  }
  std::optional<absl::StatusOr<TokenGrant>> cached = Cached(HashApiToken(*token));
  if (!cached) return absl::OkStatus();
  if (!cached->ok()) return cached->status();
  return CheckScope(**cached, scope);
}

absl::StatusOr<Caller> Authenticator::Authenticate(const grpc::ServerContextBase& context,
                                                   absl::string_view scope,
                                                   const std::string& requested_org) {
  absl::StatusOr<absl::string_view> token = ParseBearer(AuthorizationHeader(context));
  if (!token.ok()) return token.status();

  if (!internal_token_.empty() && ConstantTimeEquals(*token, internal_token_)) {
    if (requested_org.empty()) {
      return absl::InvalidArgumentError("internal calls must name the org");
    }
    absl::StatusOr<Org> org = store_->FindOrg(requested_org);
    if (!org.ok()) return org.status();
    return Caller{*org, true};
  }

  absl::StatusOr<TokenGrant> grant = Lookup(HashApiToken(*token));
  if (!grant.ok()) return grant.status();
  ARGUS_RETURN_IF_ERROR(CheckScope(*grant, scope));
  if (!requested_org.empty()) {
    return absl::PermissionDeniedError(
        "the org field is only for internal service calls; your token's org is used");
  }
  return Caller{grant->org, false};
}

}  // namespace argus
