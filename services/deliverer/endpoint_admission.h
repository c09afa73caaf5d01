#ifndef ARGUS_SERVICES_DELIVERER_ENDPOINT_ADMISSION_H_
#define ARGUS_SERVICES_DELIVERER_ENDPOINT_ADMISSION_H_

#include <deque>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "services/deliverer/delivery_queue.h"

namespace argus {

// Which claimed deliveries may go on the wire now, endpoint by endpoint
// (one lane each, in claim order):
//  - at most `per_endpoint_in_flight` requests on the wire to an endpoint;
//  - one, while it is slow: after a timeout or a refused connection its
//    limit drops to 1, and doubles back with each answer. A hanging
//    endpoint holds one request slot, not per_endpoint_in_flight of them;
//  - never after `send_window` past its claim (the lease could run out
//    before the result is written, and another replica would send it too).
// Not thread-safe: the dispatch loop's.
class EndpointAdmission {
 public:
  struct Options {
    int per_endpoint_in_flight = 16;
    absl::Duration send_window = absl::InfiniteDuration();
  };

  EndpointAdmission(Options options, const Clock* clock) : options_(options), clock_(clock) {}

  // Queues a claimed delivery in its endpoint's lane. One beyond a slow
  // endpoint's limit is given back at once (see TakeReleased).
  void Add(ClaimedDelivery d);

  struct Ready {
    std::vector<ClaimedDelivery> send;  // now counted as on the wire
    std::vector<std::string> expired;   // delivery ids past their send window: give back
  };
  Ready TakeReady();

  // How a request ended, for the endpoint's limit.
  enum class Answer {
    kAnswered,  // an HTTP status arrived: the limit doubles back
    kSlow,      // timeout or refused connection: the limit drops to 1
    kNone,      // anything else: unchanged
  };
  void Finished(const std::string& endpoint_id, Answer answer);

  // Endpoints that can take no more now: a claim skips them. Also notes
  // that they may have more due (see ClaimWanted).
  std::vector<std::string> Saturated();
  // A lane that was full at the last claim (so more may be due for it) has
  // room again: claim now instead of at the next poll, so one endpoint with
  // a deep backlog is sent to as fast as its limit allows.
  bool ClaimWanted() const { return claim_wanted_; }
  // A claim came back full, with rows for these endpoints: more may be due
  // for them. Their lanes that are full now ask for a claim when they have
  // room, as if the claim had skipped them; true if any has room already.
  bool FullBatchFor(const std::vector<std::string>& endpoint_ids);

  // Deliveries given back (beyond a slow endpoint's limit), and the slow
  // endpoints seen since the last call, whose due backlog should be
  // deferred (DeliveryQueue::Defer).
  std::vector<std::string> TakeReleased();
  std::vector<std::string> TakeSlow();
  // Every delivery still waiting (draining, with nothing on the wire):
  // their ids.
  std::vector<std::string> TakeAllWaiting();

  int waiting() const { return waiting_; }
  int sending() const { return sending_; }

 private:
  struct Lane {
    std::deque<ClaimedDelivery> waiting;
    int in_flight = 0;
    int limit = 0;
    bool saturated_at_claim = false;
    // On the wire or waiting for it; the lane is full at `limit`.
    int held() const { return in_flight + static_cast<int>(waiting.size()); }
  };
  int Limit(const std::string& endpoint_id) const;
  void ReleaseExcess(Lane& lane);

  const Options options_;
  const Clock* clock_;
  absl::flat_hash_map<std::string, Lane> lanes_;
  // Endpoints whose limit is below per_endpoint_in_flight; outlives lanes.
  absl::flat_hash_map<std::string, int> reduced_limits_;
  absl::flat_hash_set<std::string> slow_;
  std::vector<std::string> released_;
  int waiting_ = 0;
  int sending_ = 0;
  bool claim_wanted_ = false;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_ENDPOINT_ADMISSION_H_
