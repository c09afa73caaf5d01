#include "services/endpoint-registry/delivery_log_store.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "common/delivery_vocabulary.h"
#include "common/event_writer.h"
#include "common/wakeups.h"

namespace argus {
namespace {

constexpr char kLiveEndpoint[] = R"sql(
SELECT format, state FROM endpoints
WHERE org_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL)sql";

// In flight is a queue row with a lease (migration 0008); a queued row's
// due time is the next attempt's.
constexpr char kState[] =
    "CASE WHEN q.lease_owner IS NOT NULL THEN 2 /* in_flight */ ELSE d.state END";

constexpr char kDeliveryColumns[] = R"sql(
  d.id::text, d.event_id::text, d.endpoint_id::text, e.type, %STATE%, d.attempts,
  (extract(epoch from d.created_at) * 1000000)::bigint,
  (extract(epoch from coalesce(q.due_at, d.next_attempt_at)) * 1000000)::bigint,
  (SELECT (extract(epoch from max(a.started_at)) * 1000000)::bigint
   FROM delivery_attempts a WHERE a.delivery_id = d.id),
  coalesce(d.last_status_code, 0), coalesce(d.last_error, '')
FROM deliveries d JOIN events e ON e.id = d.event_id AND e.bucket_at = d.bucket_at
LEFT JOIN delivery_queue q ON q.delivery_id = d.id)sql";

constexpr char kListWhere[] = R"sql(
WHERE d.endpoint_id = $1::uuid AND ($2 = 0 OR %STATE% = $2)
  AND ($3::bigint IS NULL OR
       (d.created_at, d.id) < ('epoch'::timestamptz + $3 * interval '1 microsecond', $4::uuid))
ORDER BY d.created_at DESC, d.id DESC LIMIT $5)sql";

constexpr char kGetWhere[] = R"sql(
JOIN endpoints ep ON ep.id = d.endpoint_id
WHERE d.id = $1::uuid AND d.org_id = $2::uuid AND ep.deleted_at IS NULL)sql";

constexpr char kAttempts[] = R"sql(
SELECT attempt, (extract(epoch from started_at) * 1000000)::bigint, duration_us, status_code,
       error, response_body, request_headers::text, request_body
FROM delivery_attempts WHERE delivery_id = $1::uuid ORDER BY attempt)sql";

constexpr char kGetEvent[] = R"sql(
SELECT type, coalesce(project, ''), (extract(epoch from occurred_at) * 1000000)::bigint,
       (extract(epoch from created_at) * 1000000)::bigint, payload
FROM events WHERE id = $1::uuid AND org_id = $2::uuid)sql";

// Back into the queue (due now, the retry schedule restarting), unless it
// is being sent right now. To an ordered endpoint it goes with the number
// it was first sent with (a receiver sees a replay) and waits for its turn
// like any other (the lowest number goes first); an endpoint paused by an
// ordered failure is resumed: its head goes next (migration 0009).
constexpr char kRedeliver[] = R"sql(
WITH d AS (
  UPDATE deliveries d SET state = 1 /* pending */, retry_base = d.attempts,
    next_attempt_at = now(), finished_at = NULL
  FROM endpoints ep
  WHERE d.id = $1::uuid AND d.org_id = $2::uuid AND ep.id = d.endpoint_id
    AND ep.deleted_at IS NULL
    AND NOT EXISTS (SELECT 1 FROM delivery_queue q
                    WHERE q.delivery_id = d.id AND q.lease_owner IS NOT NULL)
  RETURNING d.id, d.bucket_at, d.event_id, d.endpoint_id, d.attempts,
            CASE WHEN ep.ordering = 1 /* ordered */ THEN d.sequence END AS sequence,
            ep.state AS endpoint_state),
resumed AS (
  UPDATE endpoints SET state = 1 /* enabled */, disabled_reason = '', consecutive_failures = 0,
    updated_at = now()
  WHERE id IN (SELECT endpoint_id FROM d WHERE endpoint_state = 4 /* paused in order */)
    AND state = 4 /* paused in order */)
INSERT INTO delivery_queue (delivery_id, bucket_at, event_id, endpoint_id, attempts, retry_base,
                            hold, sequence)
SELECT id, bucket_at, event_id, endpoint_id, attempts, attempts, argus_endpoint_hold(endpoint_id),
       sequence
FROM d
ON CONFLICT (delivery_id) DO UPDATE SET due_at = now(), retry_base = EXCLUDED.retry_base
  WHERE delivery_queue.lease_owner IS NULL
RETURNING delivery_id)sql";

constexpr char kDeliveryState[] = R"sql(
SELECT d.state FROM deliveries d JOIN endpoints ep ON ep.id = d.endpoint_id
WHERE d.id = $1::uuid AND d.org_id = $2::uuid AND ep.deleted_at IS NULL)sql";

// To an ordered endpoint they go in the order of their numbers, each
// waiting for its turn (see kRedeliver).
constexpr char kRecoverFailed[] = R"sql(
WITH d AS (
  UPDATE deliveries d SET state = 1 /* pending */, retry_base = d.attempts,
    next_attempt_at = now(), finished_at = NULL
  FROM endpoints ep
  WHERE d.endpoint_id = $1::uuid AND d.state = 4 /* failed */ AND ep.id = d.endpoint_id
    AND d.created_at >= 'epoch'::timestamptz + $2 * interval '1 microsecond'
  RETURNING d.id, d.bucket_at, d.event_id, d.endpoint_id, d.attempts,
            CASE WHEN ep.ordering = 1 /* ordered */ THEN d.sequence END AS sequence)
INSERT INTO delivery_queue (delivery_id, bucket_at, event_id, endpoint_id, attempts, retry_base,
                            hold, sequence)
SELECT id, bucket_at, event_id, endpoint_id, attempts, attempts, argus_endpoint_hold(endpoint_id),
       sequence
FROM d ORDER BY sequence
ON CONFLICT (delivery_id) DO NOTHING)sql";

constexpr char kAttemptStats[] = R"sql(
SELECT count(*),
       count(*) FILTER (WHERE error = '' AND status_code BETWEEN 200 AND 299), -- IsSuccessfulAttempt
       coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY duration_us), 0),
       coalesce(percentile_disc(0.99) WITHIN GROUP (ORDER BY duration_us), 0)
FROM delivery_attempts
WHERE endpoint_id = $1::uuid AND started_at >= now() - $2 * interval '1 millisecond')sql";

constexpr char kFailuresByResult[] = R"sql(
SELECT CASE WHEN error <> '' THEN error ELSE 'http_error' END, count(*)
FROM delivery_attempts
WHERE endpoint_id = $1::uuid AND started_at >= now() - $2 * interval '1 millisecond'
  AND NOT (error = '' AND status_code BETWEEN 200 AND 299)
GROUP BY 1)sql";

constexpr char kOpenCounts[] = R"sql(
SELECT count(*) FILTER (WHERE state = 1 /* pending */), count(*) FILTER (WHERE state = 4 /* failed */)
FROM deliveries WHERE endpoint_id = $1::uuid AND state IN (1, 4) /* pending, failed */)sql";

constexpr char kLastDelivery[] = R"sql(
SELECT (extract(epoch from last_attempt_at) * 1000000)::bigint, coalesce(last_status_code, 0),
       coalesce(last_error, '')
FROM endpoints WHERE id = $1::uuid)sql";

absl::Status NotFound(absl::string_view what, const std::string& id) {
  return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
}

// NOT_FOUND unless the endpoint is live in the org; its (format, state).
absl::StatusOr<std::pair<int, int>> LiveEndpoint(pqxx::transaction_base& tx,
                                                 const std::string& org_id,
                                                 const std::string& endpoint_id) {
  pqxx::result r = tx.exec_params(kLiveEndpoint, org_id, endpoint_id);
  if (r.empty()) return NotFound("endpoint", endpoint_id);
  return std::make_pair(r[0][0].as<int>(), r[0][1].as<int>());
}

DeliveryRow ReadDelivery(const pqxx::row& row) {
  DeliveryRow d;
  d.id = row[0].as<std::string>();
  d.event_id = row[1].as<std::string>();
  d.endpoint_id = row[2].as<std::string>();
  d.event_type = row[3].as<std::string>();
  d.state = row[4].as<int>();
  d.attempts = row[5].as<int>();
  d.created_us = row[6].as<int64_t>();
  d.next_attempt_us = row[7].as<int64_t>();
  if (!row[8].is_null()) d.last_attempt_us = row[8].as<int64_t>();
  d.last_status_code = row[9].as<int>();
  d.last_error = row[10].as<std::string>();
  return d;
}

}  // namespace

absl::StatusOr<DeliveryPage> DeliveryLogStore::List(const std::string& org_id,
                                                    const std::string& endpoint_id, int state,
                                                    int page_size,
                                                    const std::optional<PageCursor>& after) {
  return pool_->Read(
      "list_deliveries", [&](pqxx::read_transaction& tx) -> absl::StatusOr<DeliveryPage> {
        absl::StatusOr<std::pair<int, int>> ep = LiveEndpoint(tx, org_id, endpoint_id);
        if (!ep.ok()) return ep.status();
        static const std::string kSql = absl::StrReplaceAll(
            absl::StrCat("SELECT ", kDeliveryColumns, kListWhere), {{"%STATE%", kState}});
        CursorParams from = ToCursorParams(after);
        DeliveryPage page;
        for (const auto& row :
             tx.exec_params(kSql, endpoint_id, state, from.time_us, from.id, page_size + 1)) {
          page.deliveries.push_back(ReadDelivery(row));
        }
        page.next = TrimPage(page.deliveries, page_size, [](const DeliveryRow& d) {
          return PageCursor{d.created_us, d.id};
        });
        return page;
      });
}

absl::StatusOr<DeliveryRow> DeliveryLogStore::Get(const std::string& org_id,
                                                  const std::string& delivery_id) {
  return pool_->Read(
      "get_delivery", [&](pqxx::read_transaction& tx) -> absl::StatusOr<DeliveryRow> {
        static const std::string kSql = absl::StrReplaceAll(
            absl::StrCat("SELECT ", kDeliveryColumns, kGetWhere), {{"%STATE%", kState}});
        pqxx::result r = tx.exec_params(kSql, delivery_id, org_id);
        if (r.empty()) return NotFound("delivery", delivery_id);
        DeliveryRow found = ReadDelivery(r[0]);
        for (const auto& row : tx.exec_params(kAttempts, delivery_id)) {
          found.attempt_log.push_back({row[0].as<int>(), row[1].as<int64_t>(), row[2].as<int64_t>(),
                                       row[3].as<int>(), row[4].as<std::string>(),
                                       row[5].as<std::string>(),
                                       nlohmann::json::parse(row[6].as<std::string>())
                                           .get<std::map<std::string, std::string>>(),
                                       row[7].as<std::string>()});
        }
        return found;
      });
}

absl::StatusOr<EventRow> DeliveryLogStore::GetEvent(const std::string& org_id,
                                                    const std::string& event_id) {
  return pool_->Read("get_event", [&](pqxx::read_transaction& tx) -> absl::StatusOr<EventRow> {
    pqxx::result r = tx.exec_params(kGetEvent, event_id, org_id);
    if (r.empty()) return NotFound("event", event_id);
    EventRow event;
    event.id = event_id;
    event.type = r[0][0].as<std::string>();
    event.project = r[0][1].as<std::string>();
    if (!r[0][2].is_null()) event.occurred_us = r[0][2].as<int64_t>();
    event.created_us = r[0][3].as<int64_t>();
    event.payload_json = r[0][4].as<std::string>();
    return event;
  });
}

absl::Status DeliveryLogStore::Redeliver(const std::string& org_id,
                                         const std::string& delivery_id) {
  return pool_->Write("redeliver", [&](pqxx::work& tx) {
    if (tx.exec_params(kRedeliver, delivery_id, org_id).empty()) {
      pqxx::result state = tx.exec_params(kDeliveryState, delivery_id, org_id);
      if (state.empty()) return NotFound("delivery", delivery_id);
      return absl::FailedPreconditionError(
          "the delivery is being sent right now; redeliver it when that attempt has finished");
    }
    WakeDeliverers(tx);
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> DeliveryLogStore::RecoverFailed(const std::string& org_id,
                                                        const std::string& endpoint_id,
                                                        absl::Time since) {
  return pool_->Write("recover_failed", [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    absl::StatusOr<std::pair<int, int>> ep = LiveEndpoint(tx, org_id, endpoint_id);
    if (!ep.ok()) return ep.status();
    int64_t queued =
        tx.exec_params0(kRecoverFailed, endpoint_id, absl::ToUnixMicros(since)).affected_rows();
    if (queued > 0) WakeDeliverers(tx);
    return queued;
  });
}

absl::StatusOr<EndpointStatsRow> DeliveryLogStore::Stats(const std::string& org_id,
                                                         const std::string& endpoint_id,
                                                         absl::Duration window) {
  return pool_->Read(
      "endpoint_stats", [&](pqxx::read_transaction& tx) -> absl::StatusOr<EndpointStatsRow> {
        absl::StatusOr<std::pair<int, int>> ep = LiveEndpoint(tx, org_id, endpoint_id);
        if (!ep.ok()) return ep.status();
        EndpointStatsRow s;
        int64_t window_ms = absl::ToInt64Milliseconds(window);
        pqxx::row a = tx.exec_params1(kAttemptStats, endpoint_id, window_ms);
        s.attempts = a[0].as<int64_t>();
        s.successes = a[1].as<int64_t>();
        s.p50_us = a[2].as<int64_t>();
        s.p99_us = a[3].as<int64_t>();
        for (const auto& row : tx.exec_params(kFailuresByResult, endpoint_id, window_ms)) {
          s.failures_by_result[row[0].as<std::string>()] = row[1].as<int64_t>();
        }
        pqxx::row open = tx.exec_params1(kOpenCounts, endpoint_id);
        s.pending = open[0].as<int64_t>();
        s.failed = open[1].as<int64_t>();
        pqxx::row last = tx.exec_params1(kLastDelivery, endpoint_id);
        if (!last[0].is_null()) s.last_attempt_us = last[0].as<int64_t>();
        s.last_status_code = last[1].as<int>();
        s.last_error = last[2].as<std::string>();
        return s;
      });
}

absl::StatusOr<std::string> DeliveryLogStore::SendTestEvent(const std::string& org_id,
                                                            const std::string& endpoint_id,
                                                            const std::string& event_id,
                                                            const std::string& payload_json) {
  return pool_->Write("send_test_event", [&](pqxx::work& tx) -> absl::StatusOr<std::string> {
    absl::StatusOr<std::pair<int, int>> ep = LiveEndpoint(tx, org_id, endpoint_id);
    if (!ep.ok()) return ep.status();
    if (ep->second != static_cast<int>(EndpointState::kEnabled)) {
      return absl::FailedPreconditionError(
          "the endpoint is paused or disabled; resume it before sending a test event");
    }
    WrittenEvents written = WriteEvents(tx, org_id,
                                        {{.id = event_id,
                                          .type = "webhook.test",
                                          .occurred_at = absl::Now(),
                                          .payload_json = payload_json,
                                          .endpoint_ids = {endpoint_id},
                                          .outside_order = true}},
                                        std::nullopt);
    auto it = written.deliveries.find(event_id);
    if (it == written.deliveries.end()) {  // paused or deleted meanwhile
      return absl::FailedPreconditionError("the endpoint is no longer enabled");
    }
    WakeDeliverers(tx);
    return it->second.front();
  });
}

}  // namespace argus
