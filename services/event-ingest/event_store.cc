#include "services/event-ingest/event_store.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "common/ids.h"
#include "common/pg_prepared.h"

namespace argus {
namespace {

constexpr char kLoadCatalog[] = "SELECT name FROM event_types";

// Claims the key for `event_id`, or takes it over when the holder is older
// than 24 h. No row back means a live duplicate. Racing publishers with one
// key serialize on the primary key: the loser sees the winner's row.
constexpr char kClaimKey[] = R"sql(
INSERT INTO idempotency_keys (org_id, key, event_id) VALUES ($1::uuid, $2, $3::uuid)
ON CONFLICT (org_id, key) DO UPDATE SET event_id = EXCLUDED.event_id, created_at = now()
  WHERE idempotency_keys.created_at < now() - interval '24 hours'
RETURNING event_id)sql";

constexpr char kExistingKey[] =
    "SELECT event_id::text FROM idempotency_keys WHERE org_id = $1::uuid AND key = $2";

// The whole publish in one statement (one snapshot): the events (a JSON
// array of rows) and one delivery per (event, endpoint) pair, computed from
// the cached subscriptions of version $4. When the org's endpoints version
// is no longer $4, nothing is inserted: the caller reloads and tries again.
// The state check keeps paused or deleted endpoints from getting anything
// even then. Returns the current version and the fan-out per event.
constexpr char kPublish[] = R"sql(
WITH v AS MATERIALIZED (SELECT endpoints_version AS version FROM orgs WHERE id = $1::uuid),
ev AS (
  INSERT INTO events (id, org_id, project, type, occurred_at, payload)
  SELECT r.id, $1::uuid, NULLIF(r.project, ''), r.type,
         'epoch'::timestamptz + r.at_us * interval '1 microsecond', r.payload
  FROM json_to_recordset($2::json) AS r(id uuid, project text, type text, at_us bigint,
                                         payload text), v
  WHERE v.version = $4),
ins AS (
  INSERT INTO deliveries (event_id, endpoint_id, org_id)
  SELECT p.event_id, e.id, e.org_id
  FROM json_to_recordset($3::json) AS p(event_id uuid, endpoint_id uuid)
  JOIN endpoints e ON e.id = p.endpoint_id, v
  WHERE v.version = $4 AND e.org_id = $1::uuid AND e.state = 1 AND e.deleted_at IS NULL
  RETURNING event_id)
SELECT v.version,
       (SELECT coalesce(json_object_agg(event_id, n), '{}')::text
        FROM (SELECT event_id, count(*) AS n FROM ins GROUP BY event_id) f)
FROM v)sql";

constexpr char kVersion[] = "SELECT endpoints_version FROM orgs WHERE id = $1::uuid";

constexpr char kLoadSubscriptions[] = R"sql(
SELECT id::text, coalesce(project, ''), array_to_json(event_types)::text
FROM endpoints WHERE org_id = $1::uuid AND state = 1 AND deleted_at IS NULL)sql";

// A cache entry can only be outdated by endpoint changes; a few in a row
// while one publish retries means something is wrong.
constexpr int kMaxPublishTries = 5;

// The subscriptions, tagged with a version read before them: a change in
// between makes the entry look stale (reloaded next time), never fresh.
OrgSubscriptions LoadSubscriptions(pqxx::connection& c, const std::string& org_id) {
  pqxx::read_transaction tx(c);
  OrgSubscriptions subs;
  subs.version = tx.exec_params1(kVersion, org_id)[0].as<int64_t>();
  for (const auto& row : tx.exec_params(kLoadSubscriptions, org_id)) {
    subs.subscriptions.push_back(
        {row[0].as<std::string>(), row[1].as<std::string>(),
         nlohmann::json::parse(row[2].as<std::string>()).get<std::vector<std::string>>()});
  }
  return subs;
}

}  // namespace

absl::StatusOr<std::vector<std::string>> EventStore::LoadCatalog() {
  std::vector<std::string> names;
  absl::Status status = pool_->Run("load_catalog", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    for (const auto& row : tx.exec(kLoadCatalog)) names.push_back(row[0].as<std::string>());
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return names;
}

absl::StatusOr<std::vector<PublishOutcome>> EventStore::Publish(
    const std::string& org_id, const std::vector<NewEvent>& events) {
  bool keyed = false;
  for (const NewEvent& e : events) keyed = keyed || !e.idempotency_key.empty();
  std::vector<PublishOutcome> outcomes;
  absl::Status status = pool_->Run("publish", [&](pqxx::connection& c) {
    for (int tries = 1;; ++tries) {
      std::shared_ptr<const OrgSubscriptions> subs = cache_->Get(org_id);
      if (subs == nullptr) {
        subs = std::make_shared<const OrgSubscriptions>(LoadSubscriptions(c, org_id));
        cache_->Put(org_id, *subs);
      }
      // Without idempotency keys the one statement is the transaction: one
      // round trip. Keys are claimed first, in the same transaction.
      std::unique_ptr<pqxx::transaction_base> tx;
      if (keyed) {
        tx = std::make_unique<pqxx::work>(c);
      } else {
        tx = std::make_unique<pqxx::nontransaction>(c);
      }
      outcomes.assign(events.size(), {});
      nlohmann::json rows = nlohmann::json::array();
      nlohmann::json pairs = nlohmann::json::array();
      for (size_t i = 0; i < events.size(); ++i) {
        const NewEvent& e = events[i];
        PublishOutcome& out = outcomes[i];
        out.event_id = NewUuid();
        if (!e.idempotency_key.empty() &&
            tx->exec_params(kClaimKey, org_id, e.idempotency_key, out.event_id).empty()) {
          out.event_id =
              tx->exec_params1(kExistingKey, org_id, e.idempotency_key)[0].as<std::string>();
          out.duplicate = true;
          continue;
        }
        rows.push_back({{"id", out.event_id},
                        {"project", e.project},
                        {"type", e.type},
                        {"at_us", e.occurred_at ? nlohmann::json(absl::ToUnixMicros(*e.occurred_at))
                                                : nlohmann::json(nullptr)},
                        {"payload", e.payload_json}});
        for (std::string& endpoint : MatchSubscribers(*subs, e.type, e.project)) {
          pairs.push_back({{"event_id", out.event_id}, {"endpoint_id", std::move(endpoint)}});
        }
      }
      if (rows.empty()) {
        tx->commit();
        return absl::OkStatus();
      }
      pqxx::row result = ExecPrepared(*tx, "publish", kPublish, org_id, rows.dump(), pairs.dump(),
                                      subs->version)[0];
      if (result[0].as<int64_t>() != subs->version) {
        // Endpoints changed since the cache was filled; nothing was stored.
        tx.reset();  // rolls back the key claims
        cache_->Put(org_id, LoadSubscriptions(c, org_id));
        if (tries == kMaxPublishTries) {
          return absl::AbortedError("endpoints kept changing during the publish; try again");
        }
        continue;
      }
      tx->commit();
      nlohmann::json fanout = nlohmann::json::parse(result[1].as<std::string>());
      for (PublishOutcome& out : outcomes) {
        if (auto it = fanout.find(out.event_id); it != fanout.end()) out.fanout = it->get<int>();
      }
      return absl::OkStatus();
    }
  });
  if (!status.ok()) return status;
  for (const PublishOutcome& out : outcomes) {
    if (out.fanout > 0) {
      notifier_->Poke();  // committed: wake the deliverers
      break;
    }
  }
  return outcomes;
}

}  // namespace argus
