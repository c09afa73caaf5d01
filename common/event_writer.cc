#include "common/event_writer.h"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "common/event_types.h"

namespace argus {
namespace {

using Json = nlohmann::json;

constexpr char kVersion[] = "SELECT endpoints_version FROM orgs WHERE id = $1::uuid";

constexpr char kLoadSubscriptions[] = R"sql(
SELECT id::text, coalesce(project, ''), array_to_json(event_types)::text
FROM endpoints WHERE org_id = $1::uuid AND state IN (1, 4) /* enabled, paused in order */
  AND deleted_at IS NULL)sql";

// The events (a JSON array of rows) and one delivery per (event, endpoint)
// pair with its queue row (held when its endpoint is rate-limited), in one
// statement (one snapshot), when the org's endpoints version
// is $4 or $4 is null. The state check keeps paused or deleted endpoints
// from getting anything even then (an endpoint paused by an ordered failure,
// state 4, still gets its deliveries: they wait behind the head). Each
// pair's endpoint is read by primary key (the LATERAL ... OFFSET 0):
// prepared, the statement's plan cannot know how few pairs a call has, and
// a hash join read all the org's endpoints for every publish. A pair of an
// ordered endpoint is written with sequence 0, numbered by migration 0009's
// trigger; the rows are inserted sorted by endpoint and then by their order
// in the call, so the numbers follow it and the endpoints' order rows are
// locked in id order (two writes sharing endpoints wait, never deadlock).
// Returns the current version and the delivery ids per event.
constexpr char kWriteEventsName[] = "write_events";
constexpr char kWriteEvents[] = R"sql(
WITH v AS MATERIALIZED (SELECT endpoints_version AS version FROM orgs WHERE id = $1::uuid),
ok AS MATERIALIZED (SELECT version FROM v WHERE $4::bigint IS NULL OR v.version = $4),
ev AS (
  INSERT INTO events (id, org_id, project, type, occurred_at, payload)
  SELECT r.id, $1::uuid, NULLIF(r.project, ''), r.type,
         'epoch'::timestamptz + r.at_us * interval '1 microsecond', r.payload
  FROM json_to_recordset($2::json) AS r(id uuid, project text, type text, at_us bigint,
                                         payload text), ok),
pairs AS MATERIALIZED (
  SELECT p.n, p.event_id, e.id AS endpoint_id, e.hold,
         CASE WHEN e.ordered AND NOT coalesce(p.unordered, false) THEN 0 END AS sequence
  FROM ok, json_to_recordset($3::json) AS p(n int, event_id uuid, endpoint_id uuid,
                                              unordered bool),
       LATERAL (SELECT id, argus_queue_hold(state, deleted_at, rate_limit_per_second) AS hold,
                       ordering = 1 /* ordered */ AS ordered
                FROM endpoints
                WHERE id = p.endpoint_id AND org_id = $1::uuid
                  AND state IN (1, 4) /* enabled, paused in order */ AND deleted_at IS NULL
                OFFSET 0) e),
ins AS (
  INSERT INTO deliveries (event_id, endpoint_id, org_id, sequence)
  SELECT event_id, endpoint_id, $1::uuid, sequence FROM pairs ORDER BY endpoint_id, n
  RETURNING event_id, id, endpoint_id, bucket_at, sequence),
queued AS (
  INSERT INTO delivery_queue (delivery_id, bucket_at, event_id, endpoint_id, hold, sequence)
  SELECT i.id, i.bucket_at, i.event_id, i.endpoint_id, p.hold, i.sequence
  FROM ins i JOIN pairs p ON p.event_id = i.event_id AND p.endpoint_id = i.endpoint_id
  ORDER BY i.endpoint_id, i.sequence)
SELECT v.version,
       (SELECT coalesce(json_object_agg(event_id, ids), '{}')::text
        FROM (SELECT event_id, json_agg(id::text) AS ids FROM ins GROUP BY event_id) f)
FROM v)sql";

}  // namespace

std::vector<std::string> MatchSubscribers(const OrgSubscriptions& subs, absl::string_view type,
                                          absl::string_view project) {
  std::vector<std::string> ids;
  for (const Subscription& s : subs.subscriptions) {
    if (!s.project.empty() && s.project != project) continue;
    if (AnyEventTypeMatches(s.event_types, type)) ids.push_back(s.endpoint_id);
  }
  return ids;
}

OrgSubscriptions LoadSubscriptions(pqxx::transaction_base& tx, const std::string& org_id) {
  OrgSubscriptions subs;
  subs.version = tx.exec_params1(kVersion, org_id)[0].as<int64_t>();
  for (const auto& row : tx.exec_params(kLoadSubscriptions, org_id)) {
    subs.subscriptions.push_back(
        {row[0].as<std::string>(), row[1].as<std::string>(),
         Json::parse(row[2].as<std::string>()).get<std::vector<std::string>>()});
  }
  return subs;
}

void PrepareEventWriter(PgPool& pool) { pool.Prepare(kWriteEventsName, kWriteEvents); }

WrittenEvents WriteEvents(pqxx::transaction_base& tx, const std::string& org_id,
                          const std::vector<NewEventRow>& events,
                          std::optional<int64_t> expected_version) {
  Json rows = Json::array();
  Json pairs = Json::array();
  for (const NewEventRow& e : events) {
    rows.push_back({{"id", e.id},
                    {"project", e.project},
                    {"type", e.type},
                    {"at_us", e.occurred_at ? Json(absl::ToUnixMicros(*e.occurred_at)) : Json()},
                    {"payload", e.payload_json}});
    for (const std::string& endpoint : e.endpoint_ids) {
      pairs.push_back({{"n", pairs.size()},
                       {"event_id", e.id},
                       {"endpoint_id", endpoint},
                       {"unordered", e.outside_order}});
    }
  }
  pqxx::row r =
      tx.exec_prepared1(kWriteEventsName, org_id, rows.dump(), pairs.dump(), expected_version);
  WrittenEvents out;
  out.version = r[0].as<int64_t>();
  out.deliveries =
      Json::parse(r[1].as<std::string>()).get<std::map<std::string, std::vector<std::string>>>();
  return out;
}

}  // namespace argus
