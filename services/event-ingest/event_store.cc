#include "services/event-ingest/event_store.h"

#include <pqxx/pqxx>

#include "common/event_writer.h"
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

// A cache entry can only be outdated by endpoint changes; a few in a row
// while one publish retries means something is wrong.
constexpr int kMaxPublishTries = 5;

// The subscriptions, read in a transaction of their own.
OrgSubscriptions ReadSubscriptions(pqxx::connection& c, const std::string& org_id) {
  pqxx::read_transaction tx(c);
  return LoadSubscriptions(tx, org_id);
}

}  // namespace

absl::StatusOr<std::vector<std::string>> EventStore::LoadCatalog() {
  using Result = absl::StatusOr<std::vector<std::string>>;
  return pool_->Read("load_catalog", [&](pqxx::read_transaction& tx) -> Result {
    std::vector<std::string> names;
    for (const auto& row : tx.exec(kLoadCatalog)) names.push_back(row[0].as<std::string>());
    return names;
  });
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
        subs = std::make_shared<const OrgSubscriptions>(ReadSubscriptions(c, org_id));
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
      std::vector<NewEventRow> rows;
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
        rows.push_back({.id = out.event_id,
                        .project = e.project,
                        .type = e.type,
                        .occurred_at = e.occurred_at,
                        .payload_json = e.payload_json,
                        .endpoint_ids = MatchSubscribers(*subs, e.type, e.project)});
      }
      if (rows.empty()) {
        tx->commit();
        return absl::OkStatus();
      }
      WrittenEvents written = WriteEvents(*tx, org_id, rows, subs->version);
      if (written.version != subs->version) {
        // Endpoints changed since the cache was filled; nothing was stored.
        tx.reset();  // rolls back the key claims
        cache_->Put(org_id, ReadSubscriptions(c, org_id));
        if (tries == kMaxPublishTries) {
          return absl::AbortedError("endpoints kept changing during the publish; try again");
        }
        continue;
      }
      tx->commit();
      for (PublishOutcome& out : outcomes) {
        auto it = written.deliveries.find(out.event_id);
        if (it != written.deliveries.end()) out.fanout = static_cast<int>(it->second.size());
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
