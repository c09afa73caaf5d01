#ifndef ARGUS_SERVICES_DEBOUNCER_SESSION_ROLLER_H_
#define ARGUS_SERVICES_DEBOUNCER_SESSION_ROLLER_H_

#include <string>

#include "absl/time/time.h"
#include "common/background_loop.h"
#include "services/debouncer/debouncer_metrics.h"
#include "services/debouncer/ingest_client.h"
#include "services/debouncer/session_store.h"

namespace argus {

// Counts captures into test sessions and completes each session after its
// quiet window, publishing one test_session.completed per period through
// event-ingest. State lives in PostgreSQL, so restarts lose nothing, and
// several replicas may run: the idempotency key of each period's completion
// makes it happen once.
class SessionRoller {
 public:
  struct Options {
    absl::Duration quiet_window = absl::Minutes(5);
    std::string dashboard_base_url;
    absl::Duration tick = absl::Seconds(1);
  };

  SessionRoller(Options options, SessionStore* store, IngestClient* ingest,
                DebouncerMetrics* metrics);
  ~SessionRoller() { loop_.Stop(); }

  void Start();
  // New captures were committed (NOTIFY argus_captures): count them now,
  // not at the next tick.
  void Wake() { loop_.Wake(); }
  // Completes the open period of (org, project, label) at once. NOT_FOUND
  // when there is none. Returns the published event id.
  absl::StatusOr<std::string> CompleteNow(const std::string& org_id, const std::string& project,
                                          const std::string& label);

 private:
  void CountNewCaptures();
  void CompleteQuietSessions();
  absl::StatusOr<std::string> Complete(const SessionKey& key);

  const Options options_;
  SessionStore* store_;
  IngestClient* ingest_;
  DebouncerMetrics* metrics_;
  BackgroundLoop loop_;  // last: it runs the methods above
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DEBOUNCER_SESSION_ROLLER_H_
