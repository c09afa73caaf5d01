#ifndef ARGUS_SERVICES_DEBOUNCER_SESSION_STORE_H_
#define ARGUS_SERVICES_DEBOUNCER_SESSION_STORE_H_

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/page_token.h"
#include "common/pg_pool.h"

namespace argus {

// One test session period: (org, project, label, period).
struct SessionKey {
  std::string org_id;
  std::string project;
  std::string label;
  int period = 0;
};

// A committed session.created event not yet counted.
struct CaptureEvent {
  std::string event_id;
  std::string org_id;
  std::string project;
  absl::Time created;
  std::string payload_json;
};

struct OpenSession {
  SessionKey key;
  std::string org_slug;
  int capture_count = 0;
  absl::Time first_capture;
  absl::Time last_capture;
  std::string id;  // stable per period (pagination)
};

// What a completion publishes, given the session: returns the event id.
using PublishRollup = std::function<absl::StatusOr<std::string>(const OpenSession& session,
                                                                const nlohmann::json& captures)>;

// All SQL of the debouncer.
class SessionStore {
 public:
  explicit SessionStore(PgPool* pool) : pool_(pool) {}

  // Up to `limit` session.created events committed after the catch-up cursor
  // (minus a margin for late commits) that were never counted, oldest first.
  absl::StatusOr<std::vector<CaptureEvent>> UncountedCaptures(int limit);
  absl::Status AdvanceCursor(absl::Time scanned_to);

  // Counts `event` into its label's open period, or opens the next period.
  // Returns the open period that must complete first when the capture came
  // more than `quiet_window` after that period's last capture (the debouncer
  // was away); the capture is then not counted yet. Counting the same event
  // twice is a no-op.
  absl::StatusOr<std::optional<SessionKey>> CountCapture(const CaptureEvent& event,
                                                         absl::Duration quiet_window);

  // Marks `event` counted without counting it into any session: for a
  // capture that cannot be counted (its data is refused by PostgreSQL).
  absl::Status SkipCapture(const CaptureEvent& event);

  // Open periods whose last capture is older than `quiet_window`.
  absl::StatusOr<std::vector<SessionKey>> QuietSessions(absl::Duration quiet_window, int limit);

  // Completes `key` if it is still open: locks it, calls `publish`, marks it
  // completed with the event id, in one transaction. Returns the event id,
  // or "" when it was already completed or another replica holds it.
  absl::StatusOr<std::string> Complete(const SessionKey& key, const PublishRollup& publish);

  // The open period of (org, project, label); NOT_FOUND when none.
  absl::StatusOr<SessionKey> FindOpen(const std::string& org_id, const std::string& project,
                                      const std::string& label);

  // A page of an org's open periods (optionally of one project), oldest
  // first, after `after` (first_capture, id).
  struct OpenSessionPage {
    std::vector<OpenSession> sessions;
    std::optional<PageCursor> next;
  };
  absl::StatusOr<OpenSessionPage> ListOpen(const std::string& org_id, const std::string& project,
                                           int page_size, const std::optional<PageCursor>& after);
  absl::StatusOr<int64_t> CountOpen();

 private:
  PgPool* pool_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DEBOUNCER_SESSION_STORE_H_
