#include "services/event-ingest/event_store.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "absl/container/flat_hash_map.h"
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

// Inserts the events (a JSON array of rows) and, in the same statement (one
// snapshot), reads the org's endpoints version to check the cached
// subscriptions against. One statement per call, not per event.
constexpr char kInsertEvents[] = R"sql(
WITH ev AS (
  INSERT INTO events (id, org_id, project, type, occurred_at, payload)
  SELECT r.id, $1::uuid, NULLIF(r.project, ''), r.type,
         'epoch'::timestamptz + r.at_us * interval '1 microsecond', r.payload
  FROM json_to_recordset($2::json) AS r(id uuid, project text, type text, at_us bigint,
                                         payload text))
SELECT endpoints_version FROM orgs WHERE id = $1::uuid)sql";

constexpr char kLoadSubscriptions[] = R"sql(
SELECT id::text, coalesce(project, ''), array_to_json(event_types)::text
FROM endpoints WHERE org_id = $1::uuid AND state = 1 AND deleted_at IS NULL)sql";

// One delivery per (event, endpoint) pair of the call; the state check guards
// against a stale cache entry: a paused or deleted endpoint never gets a
// delivery. Returns the fan-out per event.
constexpr char kInsertDeliveries[] = R"sql(
WITH ins AS (
  INSERT INTO deliveries (event_id, endpoint_id, org_id)
  SELECT p.event_id, e.id, e.org_id
  FROM json_to_recordset($1::json) AS p(event_id uuid, endpoint_id uuid)
  JOIN endpoints e ON e.id = p.endpoint_id
  WHERE e.org_id = $2::uuid AND e.state = 1 AND e.deleted_at IS NULL
  RETURNING event_id)
SELECT event_id::text, count(*) FROM ins GROUP BY event_id)sql";

OrgSubscriptions LoadSubscriptions(pqxx::work& tx, const std::string& org_id, int64_t version) {
  OrgSubscriptions subs;
  subs.version = version;
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
  std::vector<PublishOutcome> outcomes;
  absl::Status status = pool_->Run("publish", [&](pqxx::connection& c) {
    outcomes.assign(events.size(), {});
    pqxx::work tx(c);
    // Idempotency keys first: a key seen within 24 h makes its event a duplicate.
    nlohmann::json rows = nlohmann::json::array();
    for (size_t i = 0; i < events.size(); ++i) {
      const NewEvent& e = events[i];
      PublishOutcome& out = outcomes[i];
      out.event_id = NewUuid();
      if (!e.idempotency_key.empty() &&
          tx.exec_params(kClaimKey, org_id, e.idempotency_key, out.event_id).empty()) {
        out.event_id = tx.exec_params1(kExistingKey, org_id, e.idempotency_key)[0].as<std::string>();
        out.duplicate = true;
        continue;
      }
      rows.push_back({{"id", out.event_id},
                      {"project", e.project},
                      {"type", e.type},
                      {"at_us", absl::ToUnixMicros(e.occurred_at)},
                      {"payload", e.payload_json}});
    }
    if (rows.empty()) {
      tx.commit();
      return absl::OkStatus();
    }
    int64_t version = ExecPrepared(tx, "insert_events", kInsertEvents, org_id, rows.dump())[0][0].as<int64_t>();
    std::shared_ptr<const OrgSubscriptions> subs = cache_->Get(org_id);
    if (subs == nullptr || subs->version != version) {
      OrgSubscriptions fresh = LoadSubscriptions(tx, org_id, version);
      cache_->Put(org_id, fresh);
      subs = std::make_shared<const OrgSubscriptions>(std::move(fresh));
    }
    nlohmann::json pairs = nlohmann::json::array();
    absl::flat_hash_map<std::string, PublishOutcome*> by_id;
    for (size_t i = 0; i < events.size(); ++i) {
      if (outcomes[i].duplicate) continue;
      by_id[outcomes[i].event_id] = &outcomes[i];
      for (std::string& endpoint : MatchSubscribers(*subs, events[i].type, events[i].project)) {
        pairs.push_back({{"event_id", outcomes[i].event_id}, {"endpoint_id", std::move(endpoint)}});
      }
    }
    if (!pairs.empty()) {
      for (const auto& row : ExecPrepared(tx, "insert_deliveries", kInsertDeliveries, pairs.dump(), org_id)) {
        by_id.at(row[0].as<std::string>())->fanout = row[1].as<int>();
      }
    }
    tx.commit();
    return absl::OkStatus();
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
