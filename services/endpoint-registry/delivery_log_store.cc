#include "services/endpoint-registry/delivery_log_store.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"

namespace argus {
namespace {

constexpr char kLiveEndpoint[] = R"sql(
SELECT format, state FROM endpoints
WHERE org_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL)sql";

constexpr char kDeliveryColumns[] = R"sql(
  d.id::text, d.event_id::text, d.endpoint_id::text, e.type, d.state, d.attempts,
  (extract(epoch from d.created_at) * 1000000)::bigint,
  (extract(epoch from d.next_attempt_at) * 1000000)::bigint,
  (SELECT (extract(epoch from max(a.started_at)) * 1000000)::bigint
   FROM delivery_attempts a WHERE a.delivery_id = d.id),
  coalesce(d.last_status_code, 0), coalesce(d.last_error, '')
FROM deliveries d JOIN events e ON e.id = d.event_id AND e.bucket_at = d.bucket_at)sql";

constexpr char kListWhere[] = R"sql(
WHERE d.endpoint_id = $1::uuid AND ($2 = 0 OR d.state = $2)
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

constexpr char kRedeliver[] = R"sql(
UPDATE deliveries d SET state = 1, retry_base = d.attempts, next_attempt_at = now(),
  finished_at = NULL, lease_owner = NULL, lease_expires_at = NULL
FROM endpoints ep
WHERE d.id = $1::uuid AND d.org_id = $2::uuid AND ep.id = d.endpoint_id
  AND ep.deleted_at IS NULL AND d.state <> 2
RETURNING d.id)sql";

constexpr char kDeliveryState[] = R"sql(
SELECT d.state FROM deliveries d JOIN endpoints ep ON ep.id = d.endpoint_id
WHERE d.id = $1::uuid AND d.org_id = $2::uuid AND ep.deleted_at IS NULL)sql";

constexpr char kRecoverFailed[] = R"sql(
UPDATE deliveries SET state = 1, retry_base = attempts, next_attempt_at = now(), finished_at = NULL
WHERE endpoint_id = $1::uuid AND state = 4
  AND created_at >= 'epoch'::timestamptz + $2 * interval '1 microsecond')sql";

constexpr char kNotifyDeliverers[] = "SELECT pg_notify('argus_deliveries', '')";

constexpr char kAttemptStats[] = R"sql(
SELECT count(*),
       count(*) FILTER (WHERE error = '' AND status_code BETWEEN 200 AND 299),
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
SELECT count(*) FILTER (WHERE state = 1), count(*) FILTER (WHERE state = 4)
FROM deliveries WHERE endpoint_id = $1::uuid AND state IN (1, 4))sql";

constexpr char kLastDelivery[] = R"sql(
SELECT (extract(epoch from last_attempt_at) * 1000000)::bigint, coalesce(last_status_code, 0),
       coalesce(last_error, '')
FROM endpoints WHERE id = $1::uuid)sql";

constexpr char kLockEndpoint[] = R"sql(
SELECT format FROM endpoints
WHERE org_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL FOR UPDATE)sql";

constexpr char kExpireLiveSecrets[] = R"sql(
UPDATE endpoint_secrets
SET expires_at = least(coalesce(expires_at, 'infinity'), now() + $2 * interval '1 millisecond')
WHERE endpoint_id = $1::uuid AND (expires_at IS NULL OR expires_at > now())
RETURNING (extract(epoch from expires_at) * 1000000)::bigint)sql";

constexpr char kDropExpiredSecrets[] =
    "DELETE FROM endpoint_secrets WHERE endpoint_id = $1::uuid AND expires_at <= now()";

constexpr char kAddSecret[] = R"sql(
INSERT INTO endpoint_secrets (endpoint_id, version, sealed)
SELECT $1::uuid, coalesce(max(version), 0) + 1, $2 FROM endpoint_secrets
WHERE endpoint_id = $1::uuid)sql";

constexpr char kTestEvent[] = R"sql(
WITH ev AS (
  INSERT INTO events (id, org_id, project, type, occurred_at, payload)
  VALUES ($1::uuid, $2::uuid, NULL, 'webhook.test', now(), $3)
  RETURNING id)
INSERT INTO deliveries (event_id, endpoint_id, org_id)
SELECT ev.id, $4::uuid, $2::uuid FROM ev
RETURNING id::text)sql";

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
  DeliveryPage page;
  absl::Status status = pool_->Run("list_deliveries", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    absl::StatusOr<std::pair<int, int>> ep = LiveEndpoint(tx, org_id, endpoint_id);
    if (!ep.ok()) return ep.status();
    static const std::string kSql = absl::StrCat("SELECT ", kDeliveryColumns, kListWhere);
    CursorParams from = ToCursorParams(after);
    for (const auto& row :
         tx.exec_params(kSql, endpoint_id, state, from.time_us, from.id, page_size + 1)) {
      page.deliveries.push_back(ReadDelivery(row));
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  if (static_cast<int>(page.deliveries.size()) > page_size) {
    page.deliveries.pop_back();
    page.next = PageCursor{page.deliveries.back().created_us, page.deliveries.back().id};
  }
  return page;
}

absl::StatusOr<DeliveryRow> DeliveryLogStore::Get(const std::string& org_id,
                                                  const std::string& delivery_id) {
  std::optional<DeliveryRow> found;
  absl::Status status = pool_->Run("get_delivery", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    static const std::string kSql = absl::StrCat("SELECT ", kDeliveryColumns, kGetWhere);
    pqxx::result r = tx.exec_params(kSql, delivery_id, org_id);
    if (r.empty()) return NotFound("delivery", delivery_id);
    found = ReadDelivery(r[0]);
    for (const auto& row : tx.exec_params(kAttempts, delivery_id)) {
      found->attempt_log.push_back({row[0].as<int>(), row[1].as<int64_t>(), row[2].as<int64_t>(),
                                    row[3].as<int>(), row[4].as<std::string>(),
                                    row[5].as<std::string>(),
                                    nlohmann::json::parse(row[6].as<std::string>())
                                        .get<std::map<std::string, std::string>>(),
                                    row[7].as<std::string>()});
    }
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return *found;
}

absl::StatusOr<EventRow> DeliveryLogStore::GetEvent(const std::string& org_id,
                                                    const std::string& event_id) {
  EventRow event;
  absl::Status status = pool_->Run("get_event", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    pqxx::result r = tx.exec_params(kGetEvent, event_id, org_id);
    if (r.empty()) return NotFound("event", event_id);
    event.id = event_id;
    event.type = r[0][0].as<std::string>();
    event.project = r[0][1].as<std::string>();
    if (!r[0][2].is_null()) event.occurred_us = r[0][2].as<int64_t>();
    event.created_us = r[0][3].as<int64_t>();
    event.payload_json = r[0][4].as<std::string>();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return event;
}

absl::Status DeliveryLogStore::Redeliver(const std::string& org_id,
                                         const std::string& delivery_id) {
  return pool_->Run("redeliver", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    if (tx.exec_params(kRedeliver, delivery_id, org_id).empty()) {
      pqxx::result state = tx.exec_params(kDeliveryState, delivery_id, org_id);
      if (state.empty()) return NotFound("delivery", delivery_id);
      return absl::FailedPreconditionError(
          "the delivery is being sent right now; redeliver it when that attempt has finished");
    }
    tx.exec(kNotifyDeliverers);
    tx.commit();
    return absl::OkStatus();
  });
}

absl::StatusOr<int64_t> DeliveryLogStore::RecoverFailed(const std::string& org_id,
                                                        const std::string& endpoint_id,
                                                        absl::Time since) {
  int64_t queued = 0;
  absl::Status status = pool_->Run("recover_failed", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    absl::StatusOr<std::pair<int, int>> ep = LiveEndpoint(tx, org_id, endpoint_id);
    if (!ep.ok()) return ep.status();
    queued =
        tx.exec_params0(kRecoverFailed, endpoint_id, absl::ToUnixMicros(since)).affected_rows();
    if (queued > 0) tx.exec(kNotifyDeliverers);
    tx.commit();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return queued;
}

absl::StatusOr<EndpointStatsRow> DeliveryLogStore::Stats(const std::string& org_id,
                                                         const std::string& endpoint_id,
                                                         absl::Duration window) {
  EndpointStatsRow s;
  absl::Status status = pool_->Run("endpoint_stats", [&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    absl::StatusOr<std::pair<int, int>> ep = LiveEndpoint(tx, org_id, endpoint_id);
    if (!ep.ok()) return ep.status();
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
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return s;
}

absl::StatusOr<absl::Time> DeliveryLogStore::RotateSecret(const std::string& org_id,
                                                          const std::string& endpoint_id,
                                                          const std::string& sealed,
                                                          absl::Duration grace) {
  absl::Time previous_expire = absl::Now() + grace;
  absl::Status status = pool_->Run("rotate_secret", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    pqxx::result ep = tx.exec_params(kLockEndpoint, org_id, endpoint_id);
    if (ep.empty()) return NotFound("endpoint", endpoint_id);
    if (ep[0][0].as<int>() != 1) {
      return absl::FailedPreconditionError(
          "only native endpoints are signed; Slack and Discord endpoints have no secret");
    }
    for (const auto& row :
         tx.exec_params(kExpireLiveSecrets, endpoint_id, absl::ToInt64Milliseconds(grace))) {
      previous_expire = absl::FromUnixMicros(row[0].as<int64_t>());
    }
    tx.exec_params0(kDropExpiredSecrets, endpoint_id);
    tx.exec_params0(kAddSecret, endpoint_id, pqxx::binarystring(sealed));
    tx.commit();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return previous_expire;
}

absl::StatusOr<std::string> DeliveryLogStore::SendTestEvent(const std::string& org_id,
                                                            const std::string& endpoint_id,
                                                            const std::string& event_id,
                                                            const std::string& payload_json) {
  std::string delivery_id;
  absl::Status status = pool_->Run("send_test_event", [&](pqxx::connection& c) {
    pqxx::work tx(c);
    absl::StatusOr<std::pair<int, int>> ep = LiveEndpoint(tx, org_id, endpoint_id);
    if (!ep.ok()) return ep.status();
    if (ep->second != 1) {
      return absl::FailedPreconditionError(
          "the endpoint is paused or disabled; resume it before sending a test event");
    }
    delivery_id = tx.exec_params1(kTestEvent, event_id, org_id, payload_json, endpoint_id)[0]
                      .as<std::string>();
    tx.exec(kNotifyDeliverers);
    tx.commit();
    return absl::OkStatus();
  });
  if (!status.ok()) return status;
  return delivery_id;
}

}  // namespace argus
