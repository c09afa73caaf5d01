#include "services/deliverer/delivery_store.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/event_writer.h"
#include "common/ids.h"
#include "common/wakeups.h"

namespace argus {
namespace {

using Json = nlohmann::json;

// Claims and reads in one statement, its own transaction. Deliveries of
// paused, disabled or deleted endpoints stay pending until the endpoint is
// resumed; their ids are one array computed once per claim (not a join per
// row), which leaves the planner one shape: the due index in order (merged
// over the partitions). A join let it pick a per-endpoint scan and sort
// of the whole backlog whenever the statistics were older than a burst
// (measured: 100 ms per claim). The array is tested with array_position,
// whose selectivity the planner does not derive from the endpoint column's
// statistics: `<> ALL` of an unknown array came out near zero rows when a
// few endpoints held the backlog, and a sort of the whole backlog won.
// The set_config is an InitPlan evaluated once, outside the scan.
// The claim commits without waiting for the WAL flush: a claim lost in a
// crash only makes its deliveries due again (at least once either way),
// and the wait was on every delivery's path.
constexpr char kClaim[] = R"sql(
WITH due AS (
  SELECT d.id, d.bucket_at FROM deliveries d
  WHERE (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
    AND d.state = 1 /* pending */ AND d.next_attempt_at <= now()
    AND coalesce(array_position($2::uuid[] || ARRAY(
      SELECT id FROM endpoints WHERE state <> 1 /* enabled */ OR deleted_at IS NOT NULL), d.endpoint_id), 0) < 1
  ORDER BY d.next_attempt_at
  LIMIT $limit
  FOR UPDATE OF d SKIP LOCKED),
claimed AS (
  UPDATE deliveries d SET state = 2 /* in_flight */, attempts = d.attempts + 1,
    unrecorded_claims = d.unrecorded_claims + 1, lease_owner = $1,
    lease_expires_at = now() + $3 * interval '1 millisecond'
  FROM due WHERE d.id = due.id AND d.bucket_at = due.bucket_at
  RETURNING d.id, d.endpoint_id, d.attempts, d.event_id, d.org_id, d.retry_base, d.bucket_at)
SELECT c.id::text, c.endpoint_id::text, c.attempts, e.id::text, e.type, o.slug,
       coalesce(e.project, ''), (extract(epoch from e.created_at) * 1000000)::bigint, e.payload,
       ep.url, ep.format, coalesce(encode(ep.sealed_headers, 'base64'), ''), ep.headers::text,
       coalesce(array_to_json(ep.retry_schedule_ms)::text, '[]'), ep.rate_limit_per_second,
       coalesce((SELECT json_agg(encode(s.sealed, 'base64') ORDER BY s.version DESC)
                 FROM endpoint_secrets s
                 WHERE s.endpoint_id = ep.id AND (s.expires_at IS NULL OR s.expires_at > now())),
                '[]')::text, c.retry_base, c.bucket_at::text,
       (extract(epoch from e.occurred_at) * 1000000)::bigint
FROM claimed c
JOIN events e ON e.id = c.event_id AND e.bucket_at = c.bucket_at
JOIN endpoints ep ON ep.id = c.endpoint_id
JOIN orgs o ON o.id = c.org_id)sql";

constexpr char kInsertAttemptsName[] = "insert_attempts";
constexpr char kInsertAttempts[] = R"sql(
INSERT INTO delivery_attempts (delivery_id, endpoint_id, attempt, started_at, duration_us,
                               status_code, error, response_body, request_headers,
                               request_body)
SELECT r.id, r.endpoint_id, r.attempt, 'epoch'::timestamptz + r.started_us * interval '1 microsecond',
       r.duration_us, r.status, r.error, r.body, r.headers, r.sent
FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, endpoint_id uuid, attempt int, started_us bigint,
                                        duration_us bigint, status int, error text, body text,
                                        headers jsonb, sent text)
ON CONFLICT (delivery_id, attempt, started_at) DO NOTHING)sql";

// Not prepared, with the batch's partition keys ($3) as a list: planned for
// these values, it reads only the partitions involved, each row by primary
// key. Ownership is checked by lease_owner alone (it is set exactly while a
// delivery is in flight: claims set it with state 2, every write leaving
// state 2 clears it): a `state = 2` here let the planner read the leased
// rows through their partial index instead, which between vacuums held
// ~90,000 dead entries (measured: 26-105 ms per batch, not 3-9).
constexpr char kUpdateDeliveries[] = R"sql(
UPDATE deliveries d SET
  state = r.state,
  next_attempt_at = CASE WHEN r.state = 1 /* pending */
                         THEN 'epoch'::timestamptz + r.next_us * interval '1 microsecond'
                         ELSE d.next_attempt_at END,
  lease_owner = NULL, lease_expires_at = NULL, unrecorded_claims = 0,
  last_status_code = r.status, last_error = r.error,
  finished_at = CASE WHEN r.state IN (3, 4) /* succeeded, failed */ THEN now() END
FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, bucket_at timestamptz, state smallint,
                                        next_us bigint, status int, error text)
WHERE d.id = r.id AND d.bucket_at = r.bucket_at AND d.bucket_at = ANY ($3::timestamptz[])
  AND d.lease_owner = $2)sql";

// Updates the endpoints' summaries and decides disables in one statement;
// returns the endpoints this batch disabled.
constexpr char kUpdateEndpointsName[] = "update_endpoints";
constexpr char kUpdateEndpoints[] = R"sql(
WITH r AS (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, at_us bigint, status int, error text,
                                                   success bool, failures int, disable bool,
                                                   reason text)),
decided AS (
  SELECT r.*, ep.consecutive_failures + r.failures AS failures_after,
         ep.state = 1 /* enabled */ AND (r.disable OR (
           NOT r.success AND ep.consecutive_failures + r.failures >= $2
           AND coalesce(ep.last_success_at, ep.created_at) < now() - $3 * interval '1 millisecond'))
           AS disabling
  FROM r JOIN endpoints ep ON ep.id = r.id)
UPDATE endpoints ep SET
  last_attempt_at = 'epoch'::timestamptz + d.at_us * interval '1 microsecond',
  last_status_code = d.status, last_error = d.error,
  last_success_at = CASE WHEN d.success
                         THEN 'epoch'::timestamptz + d.at_us * interval '1 microsecond'
                         ELSE ep.last_success_at END,
  consecutive_failures = CASE WHEN d.success THEN 0 ELSE d.failures_after END,
  state = CASE WHEN d.disabling THEN 3 ELSE ep.state END,
  disabled_reason = CASE WHEN NOT d.disabling THEN ep.disabled_reason
                         WHEN d.disable THEN d.reason
                         ELSE 'no successful delivery for ' || $4 || ' (' || d.failures_after ||
                              ' failed attempts in a row)' END
FROM decided d WHERE ep.id = d.id
RETURNING ep.id::text, ep.org_id::text, d.disabling, ep.label, ep.disabled_reason)sql";

// Expired leases (a dead or hung replica): back to pending, except a
// delivery that has now been claimed $1 times in a row without a recorded
// result, which ends failed as poison with an attempt row saying so: most
// likely it crashes whoever sends it, and it must not take every replica
// down in turn. Returns how many went back and the formats of the poisoned.
constexpr char kExpireLeases[] = R"sql(
WITH expired AS (
  SELECT id, bucket_at, unrecorded_claims >= $1 AS poison FROM deliveries
  WHERE state = 2 /* in_flight */ AND lease_expires_at < now()
  FOR UPDATE SKIP LOCKED),
returned AS (
  UPDATE deliveries d SET state = 1 /* pending */, attempts = greatest(d.attempts - 1, 0), lease_owner = NULL,
    lease_expires_at = NULL, next_attempt_at = now()
  FROM expired x WHERE d.id = x.id AND d.bucket_at = x.bucket_at AND NOT x.poison
  RETURNING d.id),
poisoned AS (
  UPDATE deliveries d SET state = 4 /* failed */, lease_owner = NULL, lease_expires_at = NULL,
    last_status_code = 0, last_error = 'poison', finished_at = now()
  FROM expired x WHERE d.id = x.id AND d.bucket_at = x.bucket_at AND x.poison
  RETURNING d.id, d.endpoint_id, d.attempts, d.unrecorded_claims),
recorded AS (
  INSERT INTO delivery_attempts (delivery_id, endpoint_id, attempt, started_at, duration_us,
                                 status_code, error, response_body)
  SELECT id, endpoint_id, attempts, now(), 0, 0, 'poison',
         'quarantined: claimed ' || unrecorded_claims || ' times in a row without a recorded '
         'result (the deliverer sending it crashed or hung each time); Redeliver tries again'
  FROM poisoned
  ON CONFLICT DO NOTHING)
SELECT (SELECT count(*) FROM returned),
       coalesce((SELECT json_agg(ep.format) FROM poisoned p
                 JOIN endpoints ep ON ep.id = p.endpoint_id), '[]')::text)sql";

constexpr char kRelease[] = R"sql(
UPDATE deliveries SET state = 1 /* pending */, attempts = greatest(attempts - 1, 0), lease_owner = NULL,
  lease_expires_at = NULL, unrecorded_claims = greatest(unrecorded_claims - 1, 0)
WHERE id = ANY($1::uuid[]) AND state = 2 /* in_flight */ AND lease_owner = $2)sql";

// Each part reads one partial index, so the cost follows the queue, not the
// table (a scan of `state IN (1, 2)` read every delivery ever made: 110 ms
// per call after 600k deliveries).
// Asynchronous commit: a deferral lost in a crash only leaves them due.
constexpr char kDefer[] = R"sql(
WITH async_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
UPDATE deliveries d SET next_attempt_at = now() + $2 * interval '1 millisecond'
FROM async_commit
WHERE d.endpoint_id = $1::uuid AND d.state = 1 /* pending */ AND d.next_attempt_at <= now())sql";

constexpr char kStats[] = R"sql(
SELECT (SELECT count(*) FROM deliveries WHERE state = 1 /* pending */ AND next_attempt_at <= now()),
       (SELECT count(*) FROM deliveries WHERE state = 1 /* pending */ AND next_attempt_at > now()),
       (SELECT count(*) FROM deliveries WHERE state = 2 /* in_flight */),
       coalesce(extract(epoch from now() - (
         SELECT min(next_attempt_at) FROM deliveries
         WHERE state = 1 /* pending */ AND next_attempt_at <= now())), 0))sql";

// Takes or renews the queue reporter lease ($1 the replica, $2 its length).
constexpr char kRenewReporter[] = R"sql(
UPDATE queue_reporter SET owner = $1, expires_at = now() + $2 * interval '1 millisecond'
WHERE id = 1 AND (owner = $1 OR expires_at < now())
RETURNING 1)sql";

constexpr char kFailingEndpoints[] = R"sql(
SELECT o.slug, count(*) FROM endpoints e JOIN orgs o ON o.id = e.org_id
WHERE e.state = 1 /* enabled */ AND e.deleted_at IS NULL AND e.consecutive_failures >= $1
GROUP BY o.slug)sql";

std::string UuidArray(const std::vector<std::string>& ids) {
  return absl::StrCat("{", absl::StrJoin(ids, ","), "}");  // UUIDs need no quoting
}

// An array literal of values PostgreSQL printed itself (no quotes or
// backslashes in them).
std::string TextArray(const std::set<std::string>& values) {
  return absl::StrCat("{\"", absl::StrJoin(values, "\",\""), "\"}");
}

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

// Like AttemptRowsJson: an invalid byte is replaced rather than failing the
// batch.
std::string JsonText(const Json& rows) {
  return rows.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// endpoint.disabled, to the org's other enabled endpoints subscribed to it.
void PublishDisabled(pqxx::work& tx, const std::string& org_id, const std::string& endpoint_id,
                     const std::string& label, const std::string& reason) {
  NewEventRow event{
      .id = NewUuid(),
      .type = "endpoint.disabled",
      .occurred_at = absl::Now(),
      .payload_json =
          Json{{"endpointId", endpoint_id}, {"label", label}, {"reason", reason}}.dump()};
  for (std::string& id : MatchSubscribers(LoadSubscriptions(tx, org_id), event.type, "")) {
    if (id != endpoint_id) event.endpoint_ids.push_back(std::move(id));
  }
  WriteEvents(tx, org_id, {event}, std::nullopt);
}

}  // namespace

DeliveryStore::DeliveryStore(PgPool* pool, AutoDisablePolicy auto_disable)
    : pool_(pool), auto_disable_(auto_disable) {
  pool_->Prepare(kInsertAttemptsName, kInsertAttempts);
  pool_->Prepare(kUpdateEndpointsName, kUpdateEndpoints);
  PrepareEventWriter(*pool_);
}

absl::StatusOr<std::vector<ClaimedDelivery>> DeliveryStore::Claim(
    const std::string& replica, int limit, absl::Duration lease,
    const std::vector<std::string>& skip_endpoints) {
  // Prepared, one statement per limit: planning a claim over 36
  // partitions took 15 ms, running it 5. The limit is part of the text: a
  // generic plan with a LIMIT parameter assumes a tenth of the table and
  // joined all of it (measured: 74 ms per claim at 100k pending, not 2 ms).
  std::string name = absl::StrCat("claim_", limit);
  pool_->Prepare(name, absl::StrReplaceAll(kClaim, {{"$limit", absl::StrCat(limit)}}));
  using Result = absl::StatusOr<std::vector<ClaimedDelivery>>;
  return pool_->Exec("claim", [&](pqxx::nontransaction& tx) -> Result {
    std::vector<ClaimedDelivery> out;
    pqxx::result rows = tx.exec_prepared(name, replica, UuidArray(skip_endpoints),
                                         absl::ToInt64Milliseconds(lease));
    for (const auto& row : rows) {
      ClaimedDelivery d;
      d.delivery_id = row[0].as<std::string>();
      d.endpoint_id = row[1].as<std::string>();
      d.attempt = row[2].as<int>();
      d.event.id = row[3].as<std::string>();
      d.event.type = row[4].as<std::string>();
      d.event.org = row[5].as<std::string>();
      d.event.project = row[6].as<std::string>();
      d.event.created = absl::FromUnixMicros(row[7].as<int64_t>());
      d.event.data_json = row[8].as<std::string>();
      d.url = row[9].as<std::string>();
      d.format = row[10].as<int>();
      if (!absl::Base64Unescape(row[11].as<std::string>(), &d.sealed_headers) ||
          d.sealed_headers.empty()) {
        d.sealed_headers.clear();  // from before sealing: the column holds the values
        d.legacy_headers =
            Json::parse(row[12].as<std::string>()).get<std::map<std::string, std::string>>();
      }
      for (int64_t ms : Json::parse(row[13].as<std::string>()).get<std::vector<int64_t>>()) {
        d.retry_schedule.push_back(absl::Milliseconds(ms));
      }
      d.rate_limit_per_second = row[14].as<uint32_t>();
      d.retry_base = row[16].as<int>();
      d.bucket_at = row[17].as<std::string>();
      if (!row[18].is_null()) d.event.occurred = absl::FromUnixMicros(row[18].as<int64_t>());
      for (const std::string& b64 :
           Json::parse(row[15].as<std::string>()).get<std::vector<std::string>>()) {
        std::string sealed;
        if (absl::Base64Unescape(b64, &sealed)) d.sealed_secrets.push_back(std::move(sealed));
      }
      out.push_back(std::move(d));
    }
    return out;
  });
}

absl::StatusOr<int> DeliveryStore::Record(const std::string& replica,
                                          const std::vector<AttemptRecord>& records) {
  Json deliveries = Json::array();
  // The latest attempt per endpoint, and how many failures it had in this batch.
  std::map<std::string, Json> endpoints;
  std::set<std::string> buckets;
  for (const AttemptRecord& r : records) {
    buckets.insert(r.bucket_at);
    DeliveryState state = r.verdict == DeliveryVerdict::kSucceeded ? DeliveryState::kSucceeded
                          : r.verdict == DeliveryVerdict::kRetry   ? DeliveryState::kPending
                                                                   : DeliveryState::kFailed;
    deliveries.push_back({{"id", r.delivery_id},
                          {"bucket_at", r.bucket_at},
                          {"state", static_cast<int>(state)},
                          {"next_us", Micros(r.next_attempt_at)},
                          {"status", r.status_code},
                          {"error", std::string(AttemptErrorTag(r.error))}});
    bool success = r.verdict == DeliveryVerdict::kSucceeded;
    Json& e = endpoints[r.endpoint_id];
    int failures = (e.is_null() ? 0 : e["failures"].get<int>()) + (success ? 0 : 1);
    bool disable = (!e.is_null() && e["disable"].get<bool>()) || r.disable_endpoint;
    std::string reason = r.disable_endpoint ? r.disable_reason
                         : e.is_null()      ? ""
                                            : e["reason"].get<std::string>();
    e = {{"id", r.endpoint_id},     {"at_us", Micros(r.started + r.duration)},
         {"status", r.status_code}, {"error", std::string(AttemptErrorTag(r.error))},
         {"success", success},      {"failures", failures},
         {"disable", disable},      {"reason", reason}};
  }
  Json endpoint_rows = Json::array();
  for (auto& [id, row] : endpoints) endpoint_rows.push_back(row);

  return pool_->Write("record_attempts", [&](pqxx::work& tx) -> absl::StatusOr<int> {
    int disabled = 0;
    tx.exec_prepared0(kInsertAttemptsName, AttemptRowsJson(records));
    tx.exec_params0(kUpdateDeliveries, JsonText(deliveries), replica, TextArray(buckets));
    for (const auto& row :
         tx.exec_prepared(kUpdateEndpointsName, JsonText(endpoint_rows), auto_disable_.min_failures,
                          absl::ToInt64Milliseconds(auto_disable_.no_success_for),
                          absl::FormatDuration(auto_disable_.no_success_for))) {
      if (!row[2].as<bool>()) continue;
      std::string endpoint_id = row[0].as<std::string>();
      std::string org_id = row[1].as<std::string>();
      MarkSubscriptionsChanged(tx, org_id);
      PublishDisabled(tx, org_id, endpoint_id, row[3].as<std::string>(), row[4].as<std::string>());
      ++disabled;
    }
    if (disabled > 0) WakeDeliverers(tx);
    return disabled;
  });
}

absl::StatusOr<ExpiredLeases> DeliveryStore::ExpireLeases() {
  return pool_->Write("expire_leases", [&](pqxx::work& tx) -> absl::StatusOr<ExpiredLeases> {
    pqxx::row row = tx.exec_params1(kExpireLeases, kPoisonClaims);
    ExpiredLeases out;
    out.returned = row[0].as<int64_t>();
    out.poisoned_formats = Json::parse(row[1].as<std::string>()).get<std::vector<int>>();
    return out;
  });
}

absl::Status DeliveryStore::Release(const std::string& replica,
                                    const std::vector<std::string>& delivery_ids) {
  if (delivery_ids.empty()) return absl::OkStatus();
  return pool_->Write("release", [&](pqxx::work& tx) {
    tx.exec_params0(kRelease, UuidArray(delivery_ids), replica);
    return absl::OkStatus();
  });
}

absl::Status DeliveryStore::Defer(const std::string& endpoint_id, absl::Duration delay) {
  return pool_->Exec("defer", [&](pqxx::nontransaction& tx) {
    tx.exec_params0(kDefer, endpoint_id, absl::ToInt64Milliseconds(delay));
    return absl::OkStatus();
  });
}

absl::StatusOr<QueueStats> DeliveryStore::Stats(const std::string& replica,
                                                absl::Duration reporter_lease) {
  return pool_->Write("queue_stats", [&](pqxx::work& tx) -> absl::StatusOr<QueueStats> {
    tx.exec0("SET LOCAL synchronous_commit = off");
    QueueStats s;
    s.reporter =
        !tx.exec_params(kRenewReporter, replica, absl::ToInt64Milliseconds(reporter_lease)).empty();
    pqxx::row row = tx.exec1(kStats);
    s.pending_due = row[0].as<int64_t>();
    s.pending_later = row[1].as<int64_t>();
    s.in_flight = row[2].as<int64_t>();
    s.oldest_due_age = absl::Seconds(row[3].as<double>());
    if (s.reporter) {
      for (const auto& r : tx.exec_params(kFailingEndpoints, kFailingAfter)) {
        s.failing_endpoints_by_org[r[0].as<std::string>()] = r[1].as<int64_t>();
      }
    }
    return s;
  });
}

}  // namespace argus
