#include "services/deliverer/endpoint_cache.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "absl/strings/escaping.h"
#include "common/log.h"

namespace argus {
namespace {

using Json = nlohmann::json;

// Secrets as [[sealed base64, expires µs or null], ...], newest first.
constexpr char kChangedEndpoints[] = R"sql(
SELECT ep.id::text, o.slug, ep.url, ep.format,
       ep.state = 1 /* enabled */ AND ep.deleted_at IS NULL,
       coalesce(encode(ep.sealed_headers, 'base64'), ''), ep.headers::text,
       coalesce(array_to_json(ep.retry_schedule_ms)::text, '[]'), ep.rate_limit_per_second,
       coalesce((SELECT json_agg(json_build_array(encode(s.sealed, 'base64'),
                                                  (extract(epoch from s.expires_at) * 1000000)::bigint)
                                 ORDER BY s.version DESC)
                 FROM endpoint_secrets s WHERE s.endpoint_id = ep.id), '[]')::text,
       ep.config_version, ep.on_ordered_failure
FROM endpoints ep JOIN orgs o ON o.id = ep.org_id
WHERE ep.config_version > $1)sql";

std::shared_ptr<const EndpointConfig> ReadConfig(const pqxx::row& row) {
  auto c = std::make_shared<EndpointConfig>();
  c->id = row[0].as<std::string>();
  c->org_slug = row[1].as<std::string>();
  c->url = row[2].as<std::string>();
  c->format = FormatFromInt(row[3].as<int>());
  c->enabled = row[4].as<bool>();
  if (!absl::Base64Unescape(row[5].as<std::string>(), &c->sealed_headers) ||
      c->sealed_headers.empty()) {
    c->sealed_headers.clear();  // from before sealing: the column holds the values
    c->legacy_headers =
        Json::parse(row[6].as<std::string>()).get<std::map<std::string, std::string>>();
  }
  for (int64_t ms : Json::parse(row[7].as<std::string>()).get<std::vector<int64_t>>()) {
    c->retry_schedule.push_back(absl::Milliseconds(ms));
  }
  c->rate_limit_per_second = row[8].as<uint32_t>();
  for (const Json& s : Json::parse(row[9].as<std::string>())) {
    EndpointConfig::Secret secret;
    if (!absl::Base64Unescape(s[0].get<std::string>(), &secret.sealed)) continue;
    if (!s[1].is_null()) secret.expires = absl::FromUnixMicros(s[1].get<int64_t>());
    c->secrets.push_back(std::move(secret));
  }
  c->config_version = row[10].as<int64_t>();
  c->on_ordered_failure = row[11].as<int>() == static_cast<int>(OrderedFailure::kSkip)
                              ? OrderedFailure::kSkip
                              : OrderedFailure::kPause;
  return c;
}

}  // namespace

std::vector<std::string> EndpointConfig::LiveSecrets(absl::Time now) const {
  std::vector<std::string> live;
  for (const Secret& s : secrets) {
    if (!s.expires || *s.expires > now) live.push_back(s.sealed);
  }
  return live;
}

int64_t EndpointCache::version() const {
  MutexLock lock(&mu_);
  return version_;
}

void EndpointCache::Refresh(pqxx::transaction_base& tx) {
  pqxx::result rows = tx.exec_params(kChangedEndpoints, version());
  MutexLock lock(&mu_);
  for (const auto& row : rows) {
    try {
      std::shared_ptr<const EndpointConfig> c = ReadConfig(row);
      version_ = std::max(version_, c->config_version);
      endpoints_[c->id] = std::move(c);
    } catch (const std::exception& e) {
      // Its deliveries stay queued (a claim gives back what it cannot send).
      LogError("cannot read an endpoint's config",
               {{"endpoint", row[0].as<std::string>()}, {"error", e.what()}});
    }
  }
}

std::shared_ptr<const EndpointConfig> EndpointCache::Find(const std::string& endpoint_id) const {
  MutexLock lock(&mu_);
  auto it = endpoints_.find(endpoint_id);
  return it == endpoints_.end() ? nullptr : it->second;
}

}  // namespace argus
