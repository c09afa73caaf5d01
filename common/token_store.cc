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
VALUES (nullif($1, '')::uuid, $2, $3::text[], $4)
RETURNING id::text)sql";

// Operator tokens have no org.
constexpr char kLookupToken[] = R"sql(
SELECT coalesce(o.id::text, ''), coalesce(o.slug, ''), array_to_string(t.scopes, ',')
FROM api_tokens t LEFT JOIN orgs o ON o.id = t.org_id
WHERE t.token_hash = $1 AND t.revoked_at IS NULL)sql";

constexpr char kListTokens[] = R"sql(
SELECT t.id::text, coalesce(o.slug, ''), array_to_string(t.scopes, ','), t.label,
       to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       coalesce(to_char(t.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), '')
FROM api_tokens t LEFT JOIN orgs o ON o.id = t.org_id
ORDER BY t.created_at, t.id)sql";

constexpr char kRevokeToken[] = R"sql(
UPDATE api_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1::uuid
RETURNING id)sql";

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
  return pool_->Write("ensure_org", [&](pqxx::work& tx) -> absl::StatusOr<Org> {
    pqxx::row row = tx.exec_params1(kEnsureOrg, slug);
    return Org{row[0].as<std::string>(), row[1].as<std::string>()};
  });
}

absl::StatusOr<Org> TokenStore::FindOrg(const std::string& slug) {
  return pool_->Read("find_org", [&](pqxx::read_transaction& tx) -> absl::StatusOr<Org> {
    pqxx::result r = tx.exec_params(kFindOrg, slug);
    if (r.empty()) return absl::NotFoundError(absl::StrCat("org \"", slug, "\" not found"));
    return Org{r[0][0].as<std::string>(), r[0][1].as<std::string>()};
  });
}

absl::StatusOr<std::string> TokenStore::InsertToken(const Org& org, const std::string& token_hash,
                                                    const std::vector<std::string>& scopes,
                                                    const std::string& label) {
  return pool_->Write("insert_token", [&](pqxx::work& tx) -> absl::StatusOr<std::string> {
    return tx
        .exec_params1(kInsertToken, org.id, pqxx::binarystring(token_hash), PgTextArray(scopes),
                      label)[0]
        .as<std::string>();
  });
}

absl::StatusOr<std::vector<TokenInfo>> TokenStore::ListTokens() {
  return pool_->Read(
      "list_tokens", [&](pqxx::read_transaction& tx) -> absl::StatusOr<std::vector<TokenInfo>> {
        std::vector<TokenInfo> out;
        for (const auto& row : tx.exec(kListTokens)) {
          out.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                         absl::StrSplit(row[2].as<std::string>(), ',', absl::SkipEmpty()),
                         row[3].as<std::string>(), row[4].as<std::string>(),
                         row[5].as<std::string>()});
        }
        return out;
      });
}

absl::Status TokenStore::RevokeToken(const std::string& id) {
  return pool_->Write("revoke_token", [&](pqxx::work& tx) -> absl::Status {
    if (tx.exec_params(kRevokeToken, id).empty()) {
      return absl::NotFoundError(absl::StrCat("no token with id ", id));
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<TokenGrant>> TokenStore::LookupToken(const std::string& token_hash) {
  return pool_->Read(
      "lookup_token", [&](pqxx::read_transaction& tx) -> absl::StatusOr<std::optional<TokenGrant>> {
        pqxx::result r = tx.exec_params(kLookupToken, pqxx::binarystring(token_hash));
        if (r.empty()) return std::nullopt;
        TokenGrant g;
        g.org = {r[0][0].as<std::string>(), r[0][1].as<std::string>()};
        g.scopes = absl::StrSplit(r[0][2].as<std::string>(), ',', absl::SkipEmpty());
        return g;
      });
}

}  // namespace argus
