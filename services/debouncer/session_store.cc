#include "services/debouncer/session_store.h"

#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "common/json_text.h"
#include "services/debouncer/rollup.h"

namespace argus {
namespace {

using Json = nlohmann::json;

// Publish transactions commit within moments of their created_at; a capture
// committed more than this late behind the cursor would be missed.
constexpr char kLateCommitMargin[] = "interval '60 seconds'";

const std::string& UncountedSql() {
  static const std::string kSql = absl::StrCat(R"sql(
SELECT e.id::text, e.org_id::text, coalesce(e.project, ''),
       (extract(epoch from e.created_at) * 1000000)::bigint, e.payload
FROM events e
WHERE e.type = 'session.created'
  AND e.created_at > (SELECT scanned_to FROM debouncer_cursor WHERE id = 1) - )sql",
                                               kLateCommitMargin, R"sql(
  AND NOT EXISTS (SELECT 1 FROM test_session_captures c WHERE c.event_id = e.id)
ORDER BY e.created_at, e.id
LIMIT $1)sql");
  return kSql;
}

constexpr char kAdvanceCursor[] = R"sql(
UPDATE debouncer_cursor SET scanned_to = greatest(scanned_to,
  'epoch'::timestamptz + $1 * interval '1 microsecond') WHERE id = 1)sql";

constexpr char kMarkCounted[] = R"sql(
INSERT INTO test_session_captures (event_id, org_id, project, label, period, captured_at)
VALUES ($1::uuid, $2::uuid, $3, $4, $5, 'epoch'::timestamptz + $6 * interval '1 microsecond')
ON CONFLICT (event_id) DO NOTHING)sql";

constexpr char kLockOpen[] = R"sql(
SELECT period, (extract(epoch from last_capture_at) * 1000000)::bigint FROM test_sessions
WHERE org_id = $1::uuid AND project = $2 AND label = $3 AND completed_at IS NULL
FOR UPDATE)sql";

constexpr char kAppendCapture[] = R"sql(
UPDATE test_sessions SET captures = captures || jsonb_build_array($5::jsonb),
  capture_count = capture_count + 1,
  first_capture_at = least(first_capture_at, 'epoch'::timestamptz + $6 * interval '1 microsecond'),
  last_capture_at = greatest(last_capture_at, 'epoch'::timestamptz + $6 * interval '1 microsecond')
WHERE org_id = $1::uuid AND project = $2 AND label = $3 AND period = $4)sql";

constexpr char kOpenPeriod[] = R"sql(
INSERT INTO test_sessions (org_id, project, label, period, captures, capture_count,
                           first_capture_at, last_capture_at)
SELECT $1::uuid, $2, $3,
       coalesce((SELECT max(period) FROM test_sessions
                 WHERE org_id = $1::uuid AND project = $2 AND label = $3), 0) + 1,
       jsonb_build_array($4::jsonb), 1,
       'epoch'::timestamptz + $5 * interval '1 microsecond',
       'epoch'::timestamptz + $5 * interval '1 microsecond'
ON CONFLICT DO NOTHING
RETURNING period)sql";

constexpr char kQuiet[] = R"sql(
SELECT org_id::text, project, label, period FROM test_sessions
WHERE completed_at IS NULL AND last_capture_at <= now() - $1 * interval '1 millisecond'
ORDER BY last_capture_at LIMIT $2)sql";

constexpr char kLockForCompletion[] = R"sql(
SELECT s.captures::text, o.slug, s.capture_count,
       (extract(epoch from s.first_capture_at) * 1000000)::bigint,
       (extract(epoch from s.last_capture_at) * 1000000)::bigint
FROM test_sessions s JOIN orgs o ON o.id = s.org_id
WHERE s.org_id = $1::uuid AND s.project = $2 AND s.label = $3 AND s.period = $4
  AND s.completed_at IS NULL
FOR UPDATE OF s SKIP LOCKED)sql";

constexpr char kMarkCompleted[] = R"sql(
UPDATE test_sessions SET completed_at = now(), completion_event = $5::uuid
WHERE org_id = $1::uuid AND project = $2 AND label = $3 AND period = $4)sql";

constexpr char kFindOpen[] = R"sql(
SELECT period FROM test_sessions
WHERE org_id = $1::uuid AND project = $2 AND label = $3 AND completed_at IS NULL)sql";

constexpr char kListOpen[] = R"sql(
SELECT s.org_id::text, o.slug, s.project, s.label, s.period, s.capture_count,
       (extract(epoch from s.first_capture_at) * 1000000)::bigint,
       (extract(epoch from s.last_capture_at) * 1000000)::bigint, s.id::text
FROM test_sessions s JOIN orgs o ON o.id = s.org_id
WHERE s.org_id = $1::uuid AND s.completed_at IS NULL AND ($2 = '' OR s.project = $2)
  AND ($3::bigint IS NULL OR
       (s.first_capture_at, s.id) > ('epoch'::timestamptz + $3 * interval '1 microsecond', $4::uuid))
ORDER BY s.first_capture_at, s.id LIMIT $5)sql";

constexpr char kCountOpen[] = "SELECT count(*) FROM test_sessions WHERE completed_at IS NULL";

int64_t Micros(absl::Time t) { return absl::ToUnixMicros(t); }

}  // namespace

absl::StatusOr<std::vector<CaptureEvent>> SessionStore::UncountedCaptures(int limit) {
  return pool_->Read(
      "uncounted_captures",
      [&](pqxx::read_transaction& tx) -> absl::StatusOr<std::vector<CaptureEvent>> {
        std::vector<CaptureEvent> out;
        for (const auto& row : tx.exec_params(UncountedSql(), limit)) {
          out.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                         row[2].as<std::string>(), absl::FromUnixMicros(row[3].as<int64_t>()),
                         row[4].as<std::string>()});
        }
        return out;
      });
}

absl::Status SessionStore::AdvanceCursor(absl::Time scanned_to) {
  return pool_->Write("advance_cursor", [&](pqxx::work& tx) {
    tx.exec_params0(kAdvanceCursor, Micros(scanned_to));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::optional<SessionKey>> SessionStore::CountCapture(const CaptureEvent& e,
                                                                     absl::Duration quiet_window) {
  std::optional<SessionKey> must_complete;
  // Run, not Write: two of the paths below must roll back what they did.
  absl::Status status = pool_->Run("count_capture", [&](pqxx::connection& c) {
    must_complete.reset();
    // A payload deeper than Publish accepts (stored before the limit) is
    // never walked: it counts as part of no session.
    Json payload = JsonNestingDepth(e.payload_json) <= kMaxJsonDepth
                       ? Json::parse(e.payload_json, nullptr, false)
                       : Json();
    std::string label = payload.is_object() ? SessionLabel(payload) : "";
    pqxx::work tx(c);
    if (label.empty()) {
      // Not part of any session: remember it was seen, count nothing.
      tx.exec_params0(kMarkCounted, e.event_id, e.org_id, e.project, "", 0, Micros(e.created));
      tx.commit();
      return absl::OkStatus();
    }
    std::string capture = CaptureFromPayload(payload, e.created).dump();
    // Two tries: a concurrent replica may open the same period between our
    // look and our insert; then we append to theirs.
    for (int attempt = 0; attempt < 2; ++attempt) {
      pqxx::result open = tx.exec_params(kLockOpen, e.org_id, e.project, label);
      int period = 0;
      if (!open.empty()) {
        period = open[0][0].as<int>();
        absl::Time last = absl::FromUnixMicros(open[0][1].as<int64_t>());
        if (e.created - last > quiet_window) {
          must_complete = SessionKey{e.org_id, e.project, label, period};
          return absl::OkStatus();  // rolled back: nothing counted yet
        }
        tx.exec_params0(kAppendCapture, e.org_id, e.project, label, period, capture,
                        Micros(e.created));
      } else {
        pqxx::result opened =
            tx.exec_params(kOpenPeriod, e.org_id, e.project, label, capture, Micros(e.created));
        if (opened.empty()) continue;
        period = opened[0][0].as<int>();
      }
      pqxx::result marked = tx.exec_params(kMarkCounted, e.event_id, e.org_id, e.project, label,
                                           period, Micros(e.created));
      if (marked.affected_rows() == 0) return absl::OkStatus();  // counted elsewhere: roll back
      tx.commit();
      return absl::OkStatus();
    }
    return absl::AbortedError("count_capture: conflict, retry");
  });
  if (!status.ok()) return status;
  return must_complete;
}

absl::Status SessionStore::SkipCapture(const CaptureEvent& e) {
  return pool_->Write("skip_capture", [&](pqxx::work& tx) {
    tx.exec_params0(kMarkCounted, e.event_id, e.org_id, e.project, "", 0, Micros(e.created));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<SessionKey>> SessionStore::QuietSessions(absl::Duration quiet_window,
                                                                    int limit) {
  return pool_->Read(
      "quiet_sessions", [&](pqxx::read_transaction& tx) -> absl::StatusOr<std::vector<SessionKey>> {
        std::vector<SessionKey> out;
        for (const auto& row :
             tx.exec_params(kQuiet, absl::ToInt64Milliseconds(quiet_window), limit)) {
          out.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                         row[2].as<std::string>(), row[3].as<int>()});
        }
        return out;
      });
}

absl::StatusOr<std::string> SessionStore::Complete(const SessionKey& key,
                                                   const PublishRollup& publish) {
  return pool_->Write("complete_session", [&](pqxx::work& tx) -> absl::StatusOr<std::string> {
    pqxx::result r =
        tx.exec_params(kLockForCompletion, key.org_id, key.project, key.label, key.period);
    if (r.empty()) return std::string();  // completed meanwhile, or being completed
    OpenSession session{key, r[0][1].as<std::string>(), r[0][2].as<int>(),
                        absl::FromUnixMicros(r[0][3].as<int64_t>()),
                        absl::FromUnixMicros(r[0][4].as<int64_t>())};
    absl::StatusOr<std::string> published =
        publish(session, Json::parse(r[0][0].as<std::string>()));
    if (!published.ok()) return published.status();
    tx.exec_params0(kMarkCompleted, key.org_id, key.project, key.label, key.period, *published);
    return published;
  });
}

absl::StatusOr<SessionKey> SessionStore::FindOpen(const std::string& org_id,
                                                  const std::string& project,
                                                  const std::string& label) {
  return pool_->Read(
      "find_open_session", [&](pqxx::read_transaction& tx) -> absl::StatusOr<SessionKey> {
        pqxx::result r = tx.exec_params(kFindOpen, org_id, project, label);
        if (r.empty()) {
          return absl::NotFoundError(
              absl::StrCat("no open test session \"", label, "\" in project \"", project, "\""));
        }
        return SessionKey{org_id, project, label, r[0][0].as<int>()};
      });
}

absl::StatusOr<SessionStore::OpenSessionPage> SessionStore::ListOpen(
    const std::string& org_id, const std::string& project, int page_size,
    const std::optional<PageCursor>& after) {
  using Result = absl::StatusOr<OpenSessionPage>;
  return pool_->Read("list_open_sessions", [&](pqxx::read_transaction& tx) -> Result {
    OpenSessionPage page;
    CursorParams from = ToCursorParams(after);
    for (const auto& row :
         tx.exec_params(kListOpen, org_id, project, from.time_us, from.id, page_size + 1)) {
      page.sessions.push_back({{row[0].as<std::string>(), row[2].as<std::string>(),
                                row[3].as<std::string>(), row[4].as<int>()},
                               row[1].as<std::string>(),
                               row[5].as<int>(),
                               absl::FromUnixMicros(row[6].as<int64_t>()),
                               absl::FromUnixMicros(row[7].as<int64_t>()),
                               row[8].as<std::string>()});
    }
    page.next = TrimPage(page.sessions, page_size, [](const OpenSession& s) {
      return PageCursor{absl::ToUnixMicros(s.first_capture), s.id};
    });
    return page;
  });
}

absl::StatusOr<int64_t> SessionStore::CountOpen() {
  return pool_->Read("count_open_sessions",
                     [&](pqxx::read_transaction& tx) -> absl::StatusOr<int64_t> {
                       return tx.exec1(kCountOpen)[0].as<int64_t>();
                     });
}

}  // namespace argus
