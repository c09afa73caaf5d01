#include "services/deliverer/delivery_store.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/event_writer.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/wakeups.h"

namespace argus {
namespace {

using Json = nlohmann::json;

// Leases and reads in one statement, its own transaction. The queue
// (migration 0008) holds only open deliveries; rows of paused, disabled or
// rate-limited endpoints are outside its due index, so a claim reads the
// due index in order and nothing else: its cost follows the due work, not
// the retention or another tenant's held backlog. The events are read by
// primary key (run-time pruning picks the partition). The endpoints come
// from the EndpointCache; the claim returns the config version its
// snapshot saw, so the cache is refreshed first when it is behind.
// `skip_endpoints` ($2) are this replica's full lanes. The set_config is an
// InitPlan evaluated once, outside the scan: the claim commits without
// waiting for the WAL flush (a claim lost in a crash only makes its
// deliveries due again: at least once either way).
constexpr char kClaim[] = R"sql(
WITH due AS (
  SELECT q.delivery_id FROM delivery_queue q
  WHERE (SELECT set_config('synchronous_commit', 'off', true)) IS NOT NULL
    AND q.hold = 0 /* ready */ AND q.lease_owner IS NULL AND q.due_at <= now()
    AND coalesce(array_position($2::uuid[], q.endpoint_id), 0) < 1
  ORDER BY q.due_at
  LIMIT $limit
  FOR UPDATE OF q SKIP LOCKED),
claimed AS (
  UPDATE delivery_queue q SET lease_owner = $1,
    lease_expires_at = now() + $3 * interval '1 millisecond',
    unrecorded_claims = q.unrecorded_claims + 1
  FROM due WHERE q.delivery_id = due.delivery_id
  RETURNING q.delivery_id, q.endpoint_id, q.attempts, q.event_id, q.retry_base, q.bucket_at,
            q.sequence)
SELECT c.delivery_id::text, c.endpoint_id::text, c.attempts + 1, e.id::text, e.type,
       coalesce(e.project, ''), (extract(epoch from e.created_at) * 1000000)::bigint, e.payload,
       c.retry_base, c.bucket_at::text, (extract(epoch from e.occurred_at) * 1000000)::bigint,
       (SELECT v FROM endpoint_config_version), coalesce(c.sequence, 0)
FROM claimed c
JOIN events e ON e.id = c.event_id AND e.bucket_at = c.bucket_at)sql";

// A batch's results: the attempt rows ($4, AttemptRowsJson); queue rows of
// finished deliveries go (an ordered endpoint's next row becomes its head,
// migration 0009's trigger), those to retry get their due time and the hold
// their endpoint now calls for (and a head kept by a pause in order its
// restarted schedule, retry_base); then the history row of each delivery
// whose queue row this replica still held.
// A retry gets its endpoint's hold as this statement sees it. So a batch
// with retries updates the endpoints' summaries before (kSummaryUpdate,
// same transaction), which locks those endpoints' rows: a pause, a
// disable or a new rate limit is then either committed and seen here, or
// waits for this and sets the hold of these rows itself (migration 0008's
// trigger; a leased row is not its to set). A batch without retries needs
// no hold and updates them after: replicas sharing endpoints then wait for
// each other's locks only through that statement and the commit, not
// through this one; unless it ends an ordered endpoint's delivery: the
// trigger that moves its head locks the endpoint's order row at the end of
// this statement, and every result write takes endpoint rows before order
// rows (a batch of successes too: kSummaryUpdate runs after the rest of its
// statement, the trigger after that), so two never deadlock. A batch is
// planned for its own partition keys ($3, a list), so the history update
// reads only the partitions involved, each row by primary key. A batch of
// one (an ordered endpoint's head, a quiet system) runs it prepared
// instead: planning the statement took 0.7 ms of a 1 ms execution, and one
// row prunes at run time just as well.
constexpr char kRecordOneName[] = "record_one";
constexpr char kRecordCtes[] = R"sql(
r AS MATERIALIZED (
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, bucket_at timestamptz, state smallint,
                                                   attempt int, next_us bigint, status int,
                                                   error text, retry_base int)),
attempts AS (
  INSERT INTO delivery_attempts (delivery_id, endpoint_id, attempt, started_at, duration_us,
                                 status_code, error, response_body, request_headers,
                                 request_body)
  SELECT a.id, a.endpoint_id, a.attempt,
         'epoch'::timestamptz + a.started_us * interval '1 microsecond', a.duration_us, a.status,
         a.error, a.body, a.headers, a.sent
  FROM jsonb_to_recordset($4::jsonb) AS a(id uuid, endpoint_id uuid, attempt int,
                                          started_us bigint, duration_us bigint, status int,
                                          error text, body text, headers jsonb, sent text)
  ON CONFLICT (delivery_id, attempt, started_at) DO NOTHING),
done AS (
  DELETE FROM delivery_queue q USING r
  WHERE q.delivery_id = r.id AND q.lease_owner = $2 AND r.state <> 1 /* pending */
  RETURNING q.delivery_id),
retried AS (
  UPDATE delivery_queue q SET
    due_at = 'epoch'::timestamptz + r.next_us * interval '1 microsecond', attempts = r.attempt,
    retry_base = coalesce(r.retry_base, q.retry_base),
    lease_owner = NULL, lease_expires_at = NULL, unrecorded_claims = 0,
    hold = argus_endpoint_hold(q.endpoint_id)
  FROM r
  WHERE q.delivery_id = r.id AND q.lease_owner = $2 AND r.state = 1 /* pending */
  RETURNING q.delivery_id),
mine AS (SELECT delivery_id FROM done UNION ALL SELECT delivery_id FROM retried))sql";
constexpr char kRecordHistory[] = R"sql(
UPDATE deliveries d SET
  state = r.state, attempts = r.attempt, retry_base = coalesce(r.retry_base, d.retry_base),
  next_attempt_at = CASE WHEN r.state = 1 /* pending */
                         THEN 'epoch'::timestamptz + r.next_us * interval '1 microsecond'
                         ELSE d.next_attempt_at END,
  last_status_code = r.status, last_error = r.error,
  finished_at = CASE WHEN r.state IN (3, 4) /* succeeded, failed */ THEN now() END
FROM r JOIN mine ON mine.delivery_id = r.id
WHERE d.id = r.id AND d.bucket_at = r.bucket_at AND d.bucket_at = ANY ($3::timestamptz[]))sql";

// Updates the endpoints' summaries and decides disables, and pauses of
// ordered endpoints whose head failed (state 4, paused in order), in one
// statement; returns the endpoints this batch disabled. The rows are locked in id
// order first: two replicas' batches that share endpoints then wait for
// each other instead of deadlocking (an UPDATE's join locks in whatever
// order its plan reads), and each decision reads the latest committed row.
constexpr char kUpdateEndpointsName[] = "update_endpoints";
// Its parameters are $S1 (the rows), $S2 (min failures), $S3 (no success
// for, ms) and $S4 (the same, as text): SummarySql numbers them.
constexpr char kSummaryCtes[] = R"sql(
er AS (
  SELECT * FROM jsonb_to_recordset($S1::jsonb) AS r(id uuid, at_us bigint, status int, error text,
                                                    success bool, failures int, disable bool,
                                                    reason text, pause bool, pause_reason text)),
locked AS MATERIALIZED (
  SELECT id, state, consecutive_failures, last_success_at, created_at FROM endpoints
  WHERE id IN (SELECT id FROM er) ORDER BY id FOR UPDATE),
decided AS (
  SELECT er.*, ep.consecutive_failures + er.failures AS failures_after,
         ep.state = 1 /* enabled */ AND (er.disable OR (
           NOT er.success AND ep.consecutive_failures + er.failures >= $S2
           AND coalesce(ep.last_success_at, ep.created_at) < now() - $S3 * interval '1 millisecond'))
           AS disabling,
         er.pause AND ep.state = 1 /* enabled */ AS pausing
  FROM er JOIN locked ep ON ep.id = er.id))sql";
constexpr char kSummaryUpdate[] = R"sql(
UPDATE endpoints ep SET
  last_attempt_at = 'epoch'::timestamptz + d.at_us * interval '1 microsecond',
  last_status_code = d.status, last_error = d.error,
  last_success_at = CASE WHEN d.success
                         THEN 'epoch'::timestamptz + d.at_us * interval '1 microsecond'
                         ELSE ep.last_success_at END,
  consecutive_failures = CASE WHEN d.success THEN 0 ELSE d.failures_after END,
  state = CASE WHEN d.disabling THEN 3 WHEN d.pausing THEN 4 /* paused in order */
               ELSE ep.state END,
  disabled_reason = CASE WHEN d.disabling AND d.disable THEN d.reason
                         WHEN d.disabling
                         THEN 'no successful delivery for ' || $S4 || ' (' || d.failures_after ||
                              ' failed attempts in a row)'
                         WHEN d.pausing THEN d.pause_reason
                         ELSE ep.disabled_reason END
FROM decided d WHERE ep.id = d.id
RETURNING ep.id::text, ep.org_id::text, d.disabling, ep.label, ep.disabled_reason)sql";

// kSummaryCtes and kSummaryUpdate with their parameters from $first on.
std::pair<std::string, std::string> SummarySql(int first) {
  auto number = [&](const char* sql) {
    return absl::StrReplaceAll(sql, {{"$S1", absl::StrCat("$", first)},
                                     {"$S2", absl::StrCat("$", first + 1)},
                                     {"$S3", absl::StrCat("$", first + 2)},
                                     {"$S4", absl::StrCat("$", first + 3)}});
  };
  return {number(kSummaryCtes), number(kSummaryUpdate)};
}

// The batch's results (kRecordCtes, kRecordHistory), alone.
const std::string& RecordDeliveriesSql() {
  static const std::string kSql = absl::StrCat("WITH", kRecordCtes, kRecordHistory);
  return kSql;
}

// The endpoints' summaries, alone ($1..$4).
const std::string& UpdateEndpointsSql() {
  static const std::string kSql = [] {
    auto [ctes, update] = SummarySql(1);
    return absl::StrCat("WITH", ctes, update);
  }();
  return kSql;
}

// A batch in which every attempt succeeded, results and summaries in one
// statement committed on its own: one round trip instead of four (begin,
// results, summaries, commit), which is most of the time between one
// delivery and the next of an ordered endpoint. Nothing in such a batch can
// pause, disable or publish, and it needs no hold. Parameters: kRecordCtes'
// $1..$4, the summary's $5..$8.
constexpr char kRecordSucceededOneName[] = "record_succeeded_one";
const std::string& RecordSucceededSql() {
  static const std::string kSql = [] {
    auto [ctes, update] = SummarySql(5);
    return absl::StrCat("WITH", kRecordCtes, ",", ctes, ",\nsummary AS (", update, ")",
                        kRecordHistory);
  }();
  return kSql;
}

// Expired leases (a dead or hung replica): back to the queue, due now,
// except a delivery that has now been claimed $1 times in a row without a
// recorded result, which ends failed as poison with an attempt row saying
// so: most likely it crashes whoever sends it, and it must not take every
// replica down in turn. The head of an ordered endpoint that pauses on
// failure is not skipped even then: it stays queued, the poison attempt
// counted, and its endpoint pauses in order (state 4) with the reason.
// Returns how many went back and the formats of the poisoned.
constexpr char kExpireLeases[] = R"sql(
WITH expired AS MATERIALIZED (
  SELECT q.delivery_id, q.unrecorded_claims AS claims, q.unrecorded_claims >= $1 AS poison,
         q.unrecorded_claims >= $1 AND q.sequence IS NOT NULL
           AND (SELECT ep.on_ordered_failure = 1 /* pause */ FROM endpoints ep
                WHERE ep.id = q.endpoint_id) AS keep
  FROM delivery_queue q
  WHERE q.lease_owner IS NOT NULL AND q.lease_expires_at < now()
  FOR UPDATE OF q SKIP LOCKED),
returned AS (
  UPDATE delivery_queue q SET lease_owner = NULL, lease_expires_at = NULL, due_at = now(),
    hold = argus_endpoint_hold(q.endpoint_id),
    attempts = q.attempts + x.keep::int, retry_base = CASE WHEN x.keep THEN q.attempts + 1
                                                           ELSE q.retry_base END,
    unrecorded_claims = CASE WHEN x.keep THEN 0 ELSE q.unrecorded_claims END
  FROM expired x WHERE q.delivery_id = x.delivery_id AND (NOT x.poison OR x.keep)
  RETURNING q.delivery_id, q.bucket_at, q.endpoint_id, q.attempts AS attempt, q.sequence, x.keep,
            x.claims),
poisoned AS (
  DELETE FROM delivery_queue q USING expired x
  WHERE q.delivery_id = x.delivery_id AND x.poison AND NOT x.keep
  RETURNING q.delivery_id, q.bucket_at, q.endpoint_id, q.attempts + 1 AS attempt, x.claims),
kept AS (SELECT * FROM returned WHERE keep),
failed AS (
  UPDATE deliveries d SET state = 4 /* failed */, attempts = p.attempt, last_status_code = 0,
    last_error = 'poison', finished_at = now()
  FROM poisoned p WHERE d.id = p.delivery_id AND d.bucket_at = p.bucket_at),
counted AS (
  UPDATE deliveries d SET attempts = k.attempt, retry_base = k.attempt, last_status_code = 0,
    last_error = 'poison'
  FROM kept k WHERE d.id = k.delivery_id AND d.bucket_at = k.bucket_at),
paused AS (
  UPDATE endpoints ep SET state = 4 /* paused in order */, updated_at = now(),
    disabled_reason = 'ordered delivery ' || k.delivery_id || ' (sequence ' || k.sequence ||
                      ') quarantined as poison; ResumeEndpoint or Redeliver continues from it'
  FROM kept k WHERE ep.id = k.endpoint_id AND ep.state = 1 /* enabled */),
recorded AS (
  INSERT INTO delivery_attempts (delivery_id, endpoint_id, attempt, started_at, duration_us,
                                 status_code, error, response_body)
  SELECT delivery_id, endpoint_id, attempt, now(), 0, 0, 'poison',
         'quarantined: claimed ' || claims || ' times in a row without a recorded '
         'result (the deliverer sending it crashed or hung each time); Redeliver tries again'
  FROM (SELECT delivery_id, endpoint_id, attempt, claims FROM poisoned
        UNION ALL SELECT delivery_id, endpoint_id, attempt, claims FROM kept) p
  ON CONFLICT DO NOTHING)
SELECT (SELECT count(*) FROM returned WHERE NOT keep),
       coalesce((SELECT json_agg(ep.format) FROM poisoned p
                 JOIN endpoints ep ON ep.id = p.endpoint_id), '[]')::text,
       coalesce((SELECT json_agg(ep.format) FROM kept k
                 JOIN endpoints ep ON ep.id = k.endpoint_id), '[]')::text)sql";

// Unsent deliveries back to the queue, the claim taken back; their hold is
// their endpoint's now (a claim also gives back rows of an endpoint the
// cache knows to be paused).
constexpr char kRelease[] = R"sql(
UPDATE delivery_queue q SET lease_owner = NULL, lease_expires_at = NULL,
  unrecorded_claims = greatest(q.unrecorded_claims - 1, 0), hold = argus_endpoint_hold(q.endpoint_id)
WHERE q.delivery_id = ANY($1::uuid[]) AND q.lease_owner = $2)sql";

// Asynchronous commit: a deferral lost in a crash only leaves them due.
constexpr char kDefer[] = R"sql(
WITH async_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true))
UPDATE delivery_queue q SET due_at = now() + $2 * interval '1 millisecond'
FROM async_commit
WHERE q.endpoint_id = $1::uuid AND q.hold = 0 /* ready */ AND q.lease_owner IS NULL
  AND q.due_at <= now())sql";

// Rate-limited endpoints' tokens, shared by the replicas (migration 0008).
constexpr char kReleaseMetered[] = R"sql(
SELECT argus_release_metered() FROM (SELECT set_config('synchronous_commit', 'off', true)) s)sql";

// Counts only for the reporter; every replica reads the oldest due age
// (the due index's head: held rows are not due work of ours).
constexpr char kOldestDue[] = R"sql(
SELECT coalesce(extract(epoch from now() - (
  SELECT min(due_at) FROM delivery_queue
  WHERE hold = 0 /* ready */ AND lease_owner IS NULL AND due_at <= now())), 0))sql";

// The queue's depth for the reporter: rows counted up to $1, and above
// that the row estimate of the table's last (auto)ANALYZE, so the count
// stays cheap whatever backlog a tenant holds; the leased rows by their
// index (at most every replica's --max_in_flight).
constexpr char kCounts[] = R"sql(
WITH leased AS (SELECT count(*) AS n FROM delivery_queue WHERE lease_owner IS NOT NULL),
counted AS (SELECT count(*) AS n FROM (SELECT 1 FROM delivery_queue LIMIT $1) s),
total AS (
  SELECT CASE WHEN c.n < $1 THEN c.n
              ELSE greatest(c.n, (SELECT reltuples::bigint FROM pg_class
                                  WHERE oid = 'delivery_queue'::regclass)) END AS n
  FROM counted c)
SELECT greatest(t.n - l.n, 0), l.n FROM total t, leased l)sql";

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
  pool_->Prepare(kUpdateEndpointsName, UpdateEndpointsSql());
  pool_->Prepare(kRecordOneName, RecordDeliveriesSql());
  pool_->Prepare(kRecordSucceededOneName, RecordSucceededSql());
  PrepareEventWriter(*pool_);
}

absl::StatusOr<std::vector<ClaimedDelivery>> DeliveryStore::Claim(
    const std::string& replica, int limit, absl::Duration lease,
    const std::vector<std::string>& skip_endpoints) {
  // Prepared, one statement per limit: the limit is part of the text (a
  // generic plan with a LIMIT parameter assumes a tenth of the table).
  std::string name = absl::StrCat("claim_", limit);
  pool_->Prepare(name, absl::StrReplaceAll(kClaim, {{"$limit", absl::StrCat(limit)}}));
  struct Row {
    ClaimedDelivery d;
    int64_t config_version;
  };
  using Rows = absl::StatusOr<std::vector<Row>>;
  Rows rows = pool_->Exec("claim", [&](pqxx::nontransaction& tx) -> Rows {
    std::vector<Row> out;
    for (const auto& row : tx.exec_prepared(name, replica, UuidArray(skip_endpoints),
                                            absl::ToInt64Milliseconds(lease))) {
      Row r;
      ClaimedDelivery& d = r.d;
      d.delivery_id = row[0].as<std::string>();
      d.endpoint_id = row[1].as<std::string>();
      d.attempt = row[2].as<int>();
      d.event.id = row[3].as<std::string>();
      d.event.type = row[4].as<std::string>();
      d.event.project = row[5].as<std::string>();
      d.event.created = absl::FromUnixMicros(row[6].as<int64_t>());
      d.event.data_json = row[7].as<std::string>();
      d.retry_base = row[8].as<int>();
      d.bucket_at = row[9].as<std::string>();
      if (!row[10].is_null()) d.event.occurred = absl::FromUnixMicros(row[10].as<int64_t>());
      r.config_version = row[11].as<int64_t>();
      d.event.sequence = row[12].as<int64_t>();
      out.push_back(std::move(r));
    }
    return out;
  });
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::vector<ClaimedDelivery>{};
  absl::Status refreshed = absl::OkStatus();
  if (rows->front().config_version > endpoints_.version()) {
    refreshed = pool_->Read("refresh_endpoints", [&](pqxx::read_transaction& tx) {
      endpoints_.Refresh(tx);
      return absl::OkStatus();
    });
  }
  // Without a current cache nothing goes out; what the cache knows to be
  // paused, disabled or deleted goes back with its endpoint's hold (a
  // delivery written while its endpoint was being paused can still have
  // been queued ready).
  std::vector<ClaimedDelivery> out;
  std::vector<std::string> given_back;
  for (Row& r : *rows) {
    if (refreshed.ok()) r.d.endpoint = endpoints_.Find(r.d.endpoint_id);
    if (r.d.endpoint == nullptr || !r.d.endpoint->enabled) {
      given_back.push_back(r.d.delivery_id);
      continue;
    }
    r.d.event.org = r.d.endpoint->org_slug;
    out.push_back(std::move(r.d));
  }
  if (!given_back.empty()) {
    LogInfo("claimed deliveries given back unsent (endpoint not enabled, or its config unread)",
            {{"count", absl::StrCat(given_back.size())}});
    if (absl::Status s = Release(replica, given_back); !s.ok()) {
      LogWarning("giving back deliveries failed; their leases will expire",
                 {{"error", std::string(s.message())}});
    }
  }
  if (!refreshed.ok()) return refreshed;
  return out;
}

absl::StatusOr<int64_t> DeliveryStore::ReleaseMetered() {
  return pool_->Exec("release_metered", [&](pqxx::nontransaction& tx) -> absl::StatusOr<int64_t> {
    return tx.exec1(kReleaseMetered)[0].as<int64_t>();
  });
}

absl::StatusOr<int> DeliveryStore::Record(const std::string& replica,
                                          const std::vector<AttemptRecord>& records) {
  Json deliveries = Json::array();
  // The latest attempt per endpoint, and how many failures it had in this batch.
  std::map<std::string, Json> endpoints;
  std::set<std::string> buckets;
  bool has_ordered = false;
  bool retries = false;
  bool all_succeeded = true;
  for (const AttemptRecord& r : records) {
    buckets.insert(r.bucket_at);
    DeliveryState state = r.verdict == DeliveryVerdict::kSucceeded ? DeliveryState::kSucceeded
                          : r.verdict == DeliveryVerdict::kRetry   ? DeliveryState::kPending
                                                                   : DeliveryState::kFailed;
    retries = retries || state == DeliveryState::kPending;
    has_ordered = has_ordered || r.sequence > 0;
    deliveries.push_back({{"id", r.delivery_id},
                          {"bucket_at", r.bucket_at},
                          {"state", static_cast<int>(state)},
                          {"attempt", r.attempt},
                          {"next_us", Micros(r.next_attempt_at)},
                          {"status", r.status_code},
                          {"error", std::string(AttemptErrorTag(r.error))},
                          {"retry_base", r.pause_endpoint ? Json(r.attempt) : Json()}});
    bool success = r.verdict == DeliveryVerdict::kSucceeded;
    all_succeeded = all_succeeded && success;
    Json& e = endpoints[r.endpoint_id];
    int failures = (e.is_null() ? 0 : e["failures"].get<int>()) + (success ? 0 : 1);
    // Raised by any attempt of the batch, with the reason of the last that raised it.
    auto raised = [&](const char* flag, const char* why, bool now, const std::string& reason) {
      return std::pair<bool, std::string>{now || (!e.is_null() && e[flag].get<bool>()),
                                          now           ? reason
                                          : e.is_null() ? ""
                                                        : e[why].get<std::string>()};
    };
    auto [disable, reason] = raised("disable", "reason", r.disable_endpoint, r.disable_reason);
    auto [pause, pause_reason] = raised("pause", "pause_reason", r.pause_endpoint, r.pause_reason);
    e = {{"id", r.endpoint_id},     {"at_us", Micros(r.started + r.duration)},
         {"status", r.status_code}, {"error", std::string(AttemptErrorTag(r.error))},
         {"success", success},      {"failures", failures},
         {"disable", disable},      {"reason", reason},
         {"pause", pause},          {"pause_reason", pause_reason}};
  }
  Json endpoint_rows = Json::array();
  for (auto& [id, row] : endpoints) endpoint_rows.push_back(row);
  int64_t no_success_ms = absl::ToInt64Milliseconds(auto_disable_.no_success_for);
  std::string no_success = absl::FormatDuration(auto_disable_.no_success_for);

  // The results statement: prepared for a batch of one, else planned for
  // the batch's partition keys (see kRecordCtes).
  auto record = [&](pqxx::transaction_base& tx, const char* prepared, const std::string& sql,
                    const auto&... more) {
    std::string rows = JsonText(deliveries);
    std::string keys = TextArray(buckets);
    std::string attempts = AttemptRowsJson(records);
    if (records.size() == 1) {
      tx.exec_prepared0(prepared, rows, replica, keys, attempts, more...);
    } else {
      tx.exec_params0(sql, rows, replica, keys, attempts, more...);
    }
  };
  if (all_succeeded) {
    return pool_->Exec("record_attempts", [&](pqxx::nontransaction& tx) -> absl::StatusOr<int> {
      record(tx, kRecordSucceededOneName, RecordSucceededSql(), JsonText(endpoint_rows),
             auto_disable_.min_failures, no_success_ms, no_success);
      return 0;
    });
  }
  return pool_->Write("record_attempts", [&](pqxx::work& tx) -> absl::StatusOr<int> {
    int disabled = 0;
    auto update_endpoints = [&] {
      for (const auto& row :
           tx.exec_prepared(kUpdateEndpointsName, JsonText(endpoint_rows),
                            auto_disable_.min_failures, no_success_ms, no_success)) {
        if (!row[2].as<bool>()) continue;
        std::string endpoint_id = row[0].as<std::string>();
        std::string org_id = row[1].as<std::string>();
        MarkSubscriptionsChanged(tx, org_id);
        PublishDisabled(tx, org_id, endpoint_id, row[3].as<std::string>(),
                        row[4].as<std::string>());
        ++disabled;
      }
    };
    // Before or after the queue: see kRecordCtes.
    bool summaries_first = retries || has_ordered;
    if (summaries_first) update_endpoints();
    record(tx, kRecordOneName, RecordDeliveriesSql());
    if (!summaries_first) update_endpoints();
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
    out.kept_poison_formats = Json::parse(row[2].as<std::string>()).get<std::vector<int>>();
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
    s.oldest_due_age = absl::Seconds(tx.exec1(kOldestDue)[0].as<double>());
    if (s.reporter) {
      pqxx::row row = tx.exec_params1(kCounts, kExactQueueDepth);
      s.pending = row[0].as<int64_t>();
      s.in_flight = row[1].as<int64_t>();
      for (const auto& r : tx.exec_params(kFailingEndpoints, kFailingAfter)) {
        s.failing_endpoints_by_org[r[0].as<std::string>()] = r[1].as<int64_t>();
      }
    }
    return s;
  });
}

}  // namespace argus
