#include "services/event-ingest/event_store.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ids.h"

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

// Inserts the event and, in the same statement (one snapshot), reads the
// org's endpoints version to check the cached subscriptions against.
constexpr char kInsertEvent[] = R"sql(
WITH ev AS (
  INSERT INTO events (id, org_id, project, type, occurred_at, payload)
  VALUES ($1::uuid, $2::uuid, NULLIF($3, ''), $4,
          'epoch'::timestamptz + $5 * interval '1 microsecond', $6)
  RETURNING org_id)
SELECT o.endpoints_version FROM ev JOIN orgs o ON o.id = ev.org_id)sql";

constexpr char kLoadSubscriptions[] = R"sql(
SELECT id::text, coalesce(project, ''), array_to_json(event_types)::text
FROM endpoints WHERE org_id = $1::uuid AND state = 1 AND deleted_at IS NULL)sql";

// The state check guards against a stale cache entry: a paused or deleted
// endpoint never gets a delivery.
constexpr char kInsertDeliveries[] = R"sql(
INSERT INTO deliveries (event_id, endpoint_id, org_id)
SELECT $1::uuid, e.id, e.org_id FROM endpoints e
WHERE e.id = ANY($2::uuid[]) AND e.org_id = $3::uuid AND e.state = 1 AND e.deleted_at IS NULL)sql";

constexpr char kNotifyDeliverers[] = "SELECT pg_notify('argus_deliveries', '')";

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
    outcomes.clear();
    pqxx::work tx(c);
    std::shared_ptr<const OrgSubscriptions> subs = cache_->Get(org_id);
    int total_fanout = 0;
    for (const NewEvent& e : events) {
      PublishOutcome out;
      out.event_id = NewUuid();
      if (!e.idempotency_key.empty() &&
          tx.exec_params(kClaimKey, org_id, e.idempotency_key, out.event_id).empty()) {
        out.event_id = tx.exec_params1(kExistingKey, org_id, e.idempotency_key)[0].as<std::string>();
        out.duplicate = true;
        outcomes.push_back(std::move(out));
        continue;
      }
      int64_t version = tx.exec_params1(kInsertEvent, out.event_id, org_id, e.project, e.type,
                                        absl::ToUnixMicros(e.occurred_at), e.payload_json)[0]
                            .as<int64_t>();
      if (subs == nullptr || subs->version != version) {
        OrgSubscriptions fresh = LoadSubscriptions(tx, org_id, version);
        cache_->Put(org_id, fresh);
        subs = std::make_shared<const OrgSubscriptions>(std::move(fresh));
      }
      std::vector<std::string> targets = MatchSubscribers(*subs, e.type, e.project);
      if (!targets.empty()) {
        out.fanout = tx.exec_params0(kInsertDeliveries, out.event_id,
                                     absl::StrCat("{", absl::StrJoin(targets, ","), "}"), org_id)
                         .affected_rows();
      }
      total_fanout += out.fanout;
      outcomes.push_back(std::move(out));
    }
    if (total_fanout > 0) tx.exec(kNotifyDeliverers);
    tx.commit();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return outcomes;
}

}  // namespace argus
