#ifndef ARGUS_SERVICES_EVENT_INGEST_PUBLISH_COMBINER_H_
#define ARGUS_SERVICES_EVENT_INGEST_PUBLISH_COMBINER_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "services/event-ingest/event_store.h"

namespace argus {

// Group commit for Publish. While `max_writers` writes of one org are
// running, that org's next publishes queue up, and the next write takes all
// of them (up to `max_events` events and `max_bytes` of payloads) in one
// transaction and one durable commit; each call is answered only after the
// commit holding its events. Below that, a publish is written at once, on
// the caller's thread, which then goes on writing what queued up meanwhile
// until nothing is left; a queued call returns at once, and its `done` runs
// on a writing thread. Orgs never wait for each other, and one org holds at
// most `max_writers` threads and connections. When a combined write fails,
// each of its calls is written again on its own, so one call's bad content
// or conflict fails only that call.
class PublishCombiner {
 public:
  using Outcomes = absl::StatusOr<std::vector<PublishOutcome>>;
  // Writes one org's events in one transaction (EventStore::Publish).
  using WriteFn =
      std::function<Outcomes(const std::string& org_id, const std::vector<NewEvent>& events)>;
  // Gets the outcomes in the order of the call's events; OK means committed.
  using DoneFn = std::function<void(Outcomes)>;

  PublishCombiner(WriteFn write, size_t max_events, size_t max_bytes, int max_writers)
      : write_(std::move(write)),
        max_events_(max_events),
        max_bytes_(max_bytes),
        max_writers_(max_writers) {}

  // Thread-safe.
  void Publish(const std::string& org_id, std::vector<NewEvent> events, DoneFn done);

  // Calls of `org_id` queued for the next write (for tests).
  size_t Waiting(const std::string& org_id) const;

 private:
  struct Call {
    std::vector<NewEvent> events;
    DoneFn done;
    size_t bytes = 0;  // of the events' payloads
  };
  struct OrgQueue {
    std::deque<std::unique_ptr<Call>> waiting;
    int writers = 0;
  };

  // Writes `calls` (one org's, in order): their outcomes, in order.
  std::vector<Outcomes> Write(const std::string& org_id,
                              const std::vector<std::unique_ptr<Call>>& calls);

  const WriteFn write_;
  const size_t max_events_;
  const size_t max_bytes_;
  const int max_writers_;
  mutable Mutex mu_;
  // Orgs with a write running.
  std::map<std::string, OrgQueue> orgs_ ABSL_GUARDED_BY(mu_);
};

}  // namespace argus

#endif  // ARGUS_SERVICES_EVENT_INGEST_PUBLISH_COMBINER_H_
