#include "services/endpoint-registry/endpoint_store.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/delivery_vocabulary.h"
#include "common/sealed_headers.h"
#include "common/wakeups.h"

namespace argus {
namespace {

using Json = nlohmann::json;

// Columns of an EndpointRecord, in ReadEndpoint's order.
constexpr char kColumns[] = R"sql(
  id::text, coalesce(project, ''), label, url, format,
  array_to_json(event_types)::text, headers::text,
  coalesce(array_to_json(retry_schedule_ms)::text, '[]'), rate_limit_per_second,
  state, disabled_reason,
  (extract(epoch from created_at) * 1000000)::bigint,
  (extract(epoch from updated_at) * 1000000)::bigint,
  (extract(epoch from last_attempt_at) * 1000000)::bigint,
  coalesce(last_status_code, 0), coalesce(last_error, ''), ordering, on_ordered_failure)sql";

constexpr char kListEventTypes[] =
    "SELECT name, category, description FROM event_types ORDER BY name";

constexpr char kInsertEndpoint[] = R"sql(
INSERT INTO endpoints (id, org_id, project, label, url, format, event_types, headers,
                       retry_schedule_ms, rate_limit_per_second, sealed_headers, ordering,
                       on_ordered_failure)
VALUES ($1::uuid, $2::uuid, NULLIF($3, ''), $4, $5, $6,
        ARRAY(SELECT jsonb_array_elements_text($7::jsonb)), $8::jsonb,
        CASE WHEN $9::jsonb = '[]' THEN NULL
             ELSE ARRAY(SELECT jsonb_array_elements_text($9::jsonb)::integer) END,
        $10, $11, $12, $13))sql";

// Rows from before migration 0006 keep header values in plain text.
constexpr char kUnsealedHeaders[] = R"sql(
SELECT id::text, headers::text FROM endpoints WHERE sealed_headers IS NULL)sql";

constexpr char kSealHeaders[] = R"sql(
UPDATE endpoints SET sealed_headers = $2, headers = $3::jsonb
WHERE id = $1::uuid AND sealed_headers IS NULL)sql";

constexpr char kInsertSecret[] = R"sql(
INSERT INTO endpoint_secrets (endpoint_id, version, sealed) VALUES ($1::uuid, 1, $2))sql";

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

constexpr char kWhereLive[] = " WHERE org_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL";

constexpr char kListAfter[] = R"sql(
  WHERE org_id = $1::uuid AND deleted_at IS NULL
    AND ($2::bigint IS NULL OR
         (created_at, id) > ('epoch'::timestamptz + $2 * interval '1 microsecond', $3::uuid))
  ORDER BY created_at, id LIMIT $4)sql";

constexpr char kUpdateSet[] = R"sql(
UPDATE endpoints SET
  label = COALESCE($3, label),
  event_types = CASE WHEN $4::jsonb IS NULL THEN event_types
                     ELSE ARRAY(SELECT jsonb_array_elements_text($4::jsonb)) END,
  headers = COALESCE($5::jsonb, headers),
  sealed_headers = CASE WHEN $5::jsonb IS NULL THEN sealed_headers ELSE $8 END,
  retry_schedule_ms = CASE WHEN $6::jsonb IS NULL THEN retry_schedule_ms
                           WHEN $6::jsonb = '[]' THEN NULL
                           ELSE ARRAY(SELECT jsonb_array_elements_text($6::jsonb)::integer) END,
  rate_limit_per_second = COALESCE($7::integer, rate_limit_per_second),
  ordering = COALESCE($9::smallint, ordering),
  on_ordered_failure = COALESCE($10::smallint, on_ordered_failure),
  updated_at = now())sql";

// An ordering change locks the endpoint's row first (argus_order_queue then
// takes its order row, the order the deliverer's result writes take them
// in); returns the ordering before the change.
constexpr char kOrderingBefore[] = R"sql(
SELECT ordering FROM endpoints
WHERE org_id = $1::uuid AND id = $2::uuid AND deleted_at IS NULL FOR UPDATE)sql";
constexpr char kOrderQueue[] = "SELECT argus_order_queue($1::uuid, $2)";

constexpr char kSetState[] = R"sql(
UPDATE endpoints SET state = $3::smallint,
  disabled_reason = CASE WHEN $3::smallint = 1 THEN '' ELSE disabled_reason END,
  consecutive_failures = CASE WHEN $3::smallint = 1 THEN 0 ELSE consecutive_failures END,
  updated_at = now())sql";

constexpr char kSoftDelete[] = "UPDATE endpoints SET deleted_at = now(), updated_at = now()";

constexpr char kDeleteSecrets[] = "DELETE FROM endpoint_secrets WHERE endpoint_id = $1::uuid";

// Their queue rows went with the soft delete (migration 0008's trigger); one
// in flight finds no queue row when its result comes, and stays cancelled.
constexpr char kCancelDeliveries[] = R"sql(
UPDATE deliveries SET state = 5 /* cancelled */, finished_at = now()
WHERE endpoint_id = $1::uuid AND state = 1 /* pending */)sql";

const std::string& SelectColumns() {
  static const std::string kSql = absl::StrCat("SELECT ", kColumns, " FROM endpoints");
  return kSql;
}

EndpointRecord ReadEndpoint(const pqxx::row& row) {
  EndpointRecord r;
  r.id = row[0].as<std::string>();
  r.project = row[1].as<std::string>();
  r.label = row[2].as<std::string>();
  r.url = row[3].as<std::string>();
  r.format = row[4].as<int>();
  r.event_types = Json::parse(row[5].as<std::string>()).get<std::vector<std::string>>();
  r.headers = Json::parse(row[6].as<std::string>()).get<std::map<std::string, std::string>>();
  r.retry_schedule_ms = Json::parse(row[7].as<std::string>()).get<std::vector<int64_t>>();
  r.rate_limit_per_second = row[8].as<uint32_t>();
  r.state = row[9].as<int>();
  r.disabled_reason = row[10].as<std::string>();
  r.created_us = row[11].as<int64_t>();
  r.updated_us = row[12].as<int64_t>();
  if (!row[13].is_null()) r.last_attempt_us = row[13].as<int64_t>();
  r.last_status_code = row[14].as<int>();
  r.last_error = row[15].as<std::string>();
  r.last_success = IsSuccessfulAttempt(r.last_status_code, r.last_error);
  r.ordering = row[16].as<int>();
  r.on_ordered_failure = row[17].as<int>();
  return r;
}

absl::Status EndpointNotFound(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("endpoint ", id, " not found"));
}

template <typename T>
std::optional<std::string> JsonIfSet(const std::optional<T>& value) {
  if (!value) return std::nullopt;
  return Json(*value).dump();
}

// Runs `sql` (an UPDATE … WHERE org/id live … RETURNING the endpoint
// columns, parameters $1 org, $2 id, then `params`), notifies the change and
// returns the updated endpoint; NOT_FOUND when no live endpoint matched.
template <typename... Params>
absl::StatusOr<EndpointRecord> ChangeEndpoint(PgPool* pool, const char* op, const std::string& sql,
                                              const std::string& org_id, const std::string& id,
                                              const Params&... params) {
  return pool->Write(op, [&](pqxx::work& tx) -> absl::StatusOr<EndpointRecord> {
    pqxx::result r = tx.exec_params(sql, org_id, id, params...);
    if (r.empty()) return EndpointNotFound(id);
    MarkSubscriptionsChanged(tx, org_id);
    return ReadEndpoint(r[0]);
  });
}

}  // namespace

absl::StatusOr<std::vector<EventTypeRecord>> EndpointStore::ListEventTypes() {
  using Result = absl::StatusOr<std::vector<EventTypeRecord>>;
  return pool_->Read("list_event_types", [&](pqxx::read_transaction& tx) -> Result {
    std::vector<EventTypeRecord> out;
    for (const auto& row : tx.exec(kListEventTypes)) {
      out.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<std::string>()});
    }
    return out;
  });
}

absl::Status EndpointStore::Create(const std::string& org_id, const EndpointRecord& r,
                                   const std::string& sealed_secret) {
  return pool_->Write("create_endpoint", [&](pqxx::work& tx) {
    tx.exec_params0(kInsertEndpoint, r.id, org_id, r.project, r.label, r.url, r.format,
                    Json(r.event_types).dump(), Json(r.headers).dump(),
                    Json(r.retry_schedule_ms).dump(), r.rate_limit_per_second,
                    pqxx::binarystring(r.sealed_headers), r.ordering, r.on_ordered_failure);
    if (!sealed_secret.empty()) {
      tx.exec_params0(kInsertSecret, r.id, pqxx::binarystring(sealed_secret));
    }
    MarkSubscriptionsChanged(tx, org_id);
    return absl::OkStatus();
  });
}

absl::StatusOr<EndpointRecord> EndpointStore::Get(const std::string& org_id,
                                                  const std::string& id) {
  return pool_->Read("get_endpoint",
                     [&](pqxx::read_transaction& tx) -> absl::StatusOr<EndpointRecord> {
                       static const std::string kSql = absl::StrCat(SelectColumns(), kWhereLive);
                       pqxx::result r = tx.exec_params(kSql, org_id, id);
                       if (r.empty()) return EndpointNotFound(id);
                       return ReadEndpoint(r[0]);
                     });
}

absl::StatusOr<EndpointPage> EndpointStore::List(const std::string& org_id, int page_size,
                                                 const std::optional<PageCursor>& after) {
  return pool_->Read(
      "list_endpoints", [&](pqxx::read_transaction& tx) -> absl::StatusOr<EndpointPage> {
        static const std::string kSql = absl::StrCat(SelectColumns(), kListAfter);
        CursorParams from = ToCursorParams(after);
        EndpointPage page;
        for (const auto& row : tx.exec_params(kSql, org_id, from.time_us, from.id, page_size + 1)) {
          page.endpoints.push_back(ReadEndpoint(row));
        }
        page.next = TrimPage(page.endpoints, page_size, [](const EndpointRecord& e) {
          return PageCursor{e.created_us, e.id};
        });
        return page;
      });
}

absl::StatusOr<EndpointRecord> EndpointStore::Update(const std::string& org_id,
                                                     const std::string& id,
                                                     const EndpointChanges& ch) {
  static const std::string kSql = absl::StrCat(kUpdateSet, kWhereLive, " RETURNING ", kColumns);
  std::optional<int64_t> rate;
  if (ch.rate_limit_per_second) rate = *ch.rate_limit_per_second;
  return pool_->Write("update_endpoint", [&](pqxx::work& tx) -> absl::StatusOr<EndpointRecord> {
    std::optional<int> ordering_before;
    if (ch.ordering) {
      pqxx::result before = tx.exec_params(kOrderingBefore, org_id, id);
      if (before.empty()) return EndpointNotFound(id);
      ordering_before = before[0][0].as<int>();
    }
    pqxx::result r =
        tx.exec_params(kSql, org_id, id, ch.label, JsonIfSet(ch.event_types), JsonIfSet(ch.headers),
                       JsonIfSet(ch.retry_schedule_ms), rate, pqxx::binarystring(ch.sealed_headers),
                       ch.ordering, ch.on_ordered_failure);
    if (r.empty()) return EndpointNotFound(id);
    if (ch.ordering && *ch.ordering != *ordering_before) {
      tx.exec_params1(kOrderQueue, id, *ch.ordering == static_cast<int>(Ordering::kOrdered));
      WakeDeliverers(tx);
    }
    MarkSubscriptionsChanged(tx, org_id);
    return ReadEndpoint(r[0]);
  });
}

absl::StatusOr<int> EndpointStore::SealLegacyHeaders(
    const std::function<std::string(const std::string& id,
                                    const std::map<std::string, std::string>& headers)>& seal) {
  return pool_->Write("seal_legacy_headers", [&](pqxx::work& tx) -> absl::StatusOr<int> {
    int sealed = 0;
    for (const auto& row : tx.exec(kUnsealedHeaders)) {
      std::string id = row[0].as<std::string>();
      auto headers =
          Json::parse(row[1].as<std::string>()).get<std::map<std::string, std::string>>();
      tx.exec_params0(kSealHeaders, id, pqxx::binarystring(seal(id, headers)),
                      Json(RedactHeaders(headers)).dump());
      ++sealed;
    }
    return sealed;
  });
}

absl::StatusOr<EndpointRecord> EndpointStore::SetState(const std::string& org_id,
                                                       const std::string& id, int state) {
  static const std::string kSql = absl::StrCat(kSetState, kWhereLive, " RETURNING ", kColumns);
  return ChangeEndpoint(pool_, "set_endpoint_state", kSql, org_id, id, state);
}

absl::StatusOr<int64_t> EndpointStore::Delete(const std::string& org_id, const std::string& id) {
  return pool_->Write("delete_endpoint", [&](pqxx::work& tx) -> absl::StatusOr<int64_t> {
    static const std::string kSql = absl::StrCat(kSoftDelete, kWhereLive, " RETURNING id");
    if (tx.exec_params(kSql, org_id, id).empty()) return EndpointNotFound(id);
    tx.exec_params0(kDeleteSecrets, id);
    int64_t cancelled = tx.exec_params0(kCancelDeliveries, id).affected_rows();
    MarkSubscriptionsChanged(tx, org_id);
    return cancelled;
  });
}

absl::StatusOr<absl::Time> EndpointStore::RotateSecret(const std::string& org_id,
                                                       const std::string& endpoint_id,
                                                       const std::string& sealed,
                                                       absl::Duration grace) {
  return pool_->Write("rotate_secret", [&](pqxx::work& tx) -> absl::StatusOr<absl::Time> {
    pqxx::result ep = tx.exec_params(kLockEndpoint, org_id, endpoint_id);
    if (ep.empty()) return EndpointNotFound(endpoint_id);
    if (ep[0][0].as<int>() != static_cast<int>(Format::kNative)) {
      return absl::FailedPreconditionError(
          "only native endpoints are signed; Slack and Discord endpoints have no secret");
    }
    absl::Time previous_expire = absl::Now() + grace;
    for (const auto& row :
         tx.exec_params(kExpireLiveSecrets, endpoint_id, absl::ToInt64Milliseconds(grace))) {
      previous_expire = absl::FromUnixMicros(row[0].as<int64_t>());
    }
    tx.exec_params0(kDropExpiredSecrets, endpoint_id);
    tx.exec_params0(kAddSecret, endpoint_id, pqxx::binarystring(sealed));
    return previous_expire;
  });
}

}  // namespace argus
