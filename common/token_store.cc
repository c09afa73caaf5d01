#include "common/token_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace argus {
namespace {

constexpr char kEnsureOrg[] = R"sql(
INSERT INTO orgs (slug, name) VALUES ($1, $1)
ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug
RETURNING id::text, slug)sql";

constexpr char kFindOrg[] = "SELECT id::text, slug FROM orgs WHERE slug = $1";

constexpr char kInsertToken[] = R"sql(
INSERT INTO api_tokens (org_id, token_hash, scopes, label)
VALUES ($1::uuid, $2, $3::text[], $4))sql";

constexpr char kLookupToken[] = R"sql(
SELECT o.id::text, o.slug, array_to_string(t.scopes, ',')
FROM api_tokens t JOIN orgs o ON o.id = t.org_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL)sql";

std::string PgTextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ",";
    out += items[i];  // scope names are plain identifiers
  }
  return out + "}";
}

}  // namespace

absl::StatusOr<Org> TokenStore::EnsureOrg(const std::string& slug) {
  Org org;
  absl::Status status = pool_->Run("ensure_org", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    pqxx::row row = tx.exec_params1(kEnsureOrg, slug);
    tx.commit();
    org = {row[0].as<std::string>(), row[1].as<std::string>()};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return org;
}

absl::StatusOr<Org> TokenStore::FindOrg(const std::string& slug) {
  std::optional<Org> org;
  absl::Status status = pool_->Run("find_org", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    pqxx::result r = tx.exec_params(kFindOrg, slug);
    if (!r.empty()) org = Org{r[0][0].as<std::string>(), r[0][1].as<std::string>()};
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (!org) return absl::NotFoundError(absl::StrCat("org \"", slug, "\" not found"));
  return *org;
}

absl::Status TokenStore::InsertToken(const Org& org, const std::string& token_hash,
                                     const std::vector<std::string>& scopes,
                                     const std::string& label) {
  return pool_->Run("insert_token", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    tx.exec_params0(kInsertToken, org.id, pqxx::binarystring(token_hash),
                    PgTextArray(scopes), label);
    tx.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<TokenGrant>> TokenStore::LookupToken(
    const std::string& token_hash) {
  std::optional<TokenGrant> grant;
  absl::Status status = pool_->Run("lookup_token", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    pqxx::result r = tx.exec_params(kLookupToken, pqxx::binarystring(token_hash));
    if (r.empty()) return absl::OkStatus();
    TokenGrant g;
    g.org = {r[0][0].as<std::string>(), r[0][1].as<std::string>()};
    g.scopes = absl::StrSplit(r[0][2].as<std::string>(), ',', absl::SkipEmpty());
    grant = std::move(g);
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return grant;
}

}  // namespace argus
