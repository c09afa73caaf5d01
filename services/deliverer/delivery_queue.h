#ifndef ARGUS_SERVICES_DELIVERER_DELIVERY_QUEUE_H_
#define ARGUS_SERVICES_DELIVERER_DELIVERY_QUEUE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/delivery_vocabulary.h"
#include "common/webhook_payloads.h"
#include "services/deliverer/attempt_record.h"
#include "services/deliverer/endpoint_config.h"

namespace argus {

// A delivery this replica holds a lease on, with everything needed to send
// it: no further look-ups of events, endpoints or secrets.
struct ClaimedDelivery {
  std::string delivery_id;
  std::string bucket_at;  // the row's partition key, as PostgreSQL wrote it
  std::string endpoint_id;
  int attempt = 1;     // the number of the attempt about to be made
  int retry_base = 0;  // attempts before the last redelivery: the schedule restarts there
  EventEnvelope event;
  std::shared_ptr<const EndpointConfig> endpoint;  // never null
  absl::Time claimed_at;  // this replica's clock, taken before the claim ran
};

// An endpoint counts as failing (argus_webhook_failing_endpoints) after
// this many failed attempts in a row.
inline constexpr int kFailingAfter = 3;

// The queue depth is counted row by row up to this many rows; a deeper
// queue is reported from PostgreSQL's estimate, so one tenant's backlog of
// millions costs the reporter no more than this.
inline constexpr int64_t kExactQueueDepth = 100000;

struct QueueStats {
  // Reporter only: the queue's rows (held ones included). `pending` is
  // exact up to kExactQueueDepth, PostgreSQL's estimate above.
  int64_t pending = 0;
  int64_t in_flight = 0;
  // Of the oldest due delivery ready to be claimed (not held back by its
  // endpoint's pause or rate limit).
  absl::Duration oldest_due_age;
  // This replica holds the queue reporter lease: it alone exports the depth.
  bool reporter = false;
  // Reporter only: per org slug, its enabled endpoints whose last
  // kFailingAfter attempts or more all failed.
  std::map<std::string, int64_t> failing_endpoints_by_org;
};

// What ExpireLeases did.
struct ExpiredLeases {
  int64_t returned = 0;               // back to pending
  std::vector<int> poisoned_formats;  // the format of each delivery quarantined
  // Poison heads of ordered endpoints that pause on failure: kept queued,
  // their endpoints paused in order.
  std::vector<int> kept_poison_formats;
};

// The dispatcher's view of the shared queue of deliveries: what it claims,
// records, gives back and counts. DeliveryStore is the PostgreSQL one (see
// there for what each call does); tests use fakes.
class DeliveryQueue {
 public:
  virtual ~DeliveryQueue() = default;

  virtual absl::StatusOr<std::vector<ClaimedDelivery>> Claim(
      const std::string& replica, int limit, absl::Duration lease,
      const std::vector<std::string>& skip_endpoints) = 0;
  // Returns how many endpoints were disabled.
  virtual absl::StatusOr<int> Record(const std::string& replica,
                                     const std::vector<AttemptRecord>& records) = 0;
  virtual absl::StatusOr<ExpiredLeases> ExpireLeases() = 0;
  virtual absl::StatusOr<int64_t> ReleaseMetered() = 0;
  virtual absl::Status Release(const std::string& replica,
                               const std::vector<std::string>& delivery_ids) = 0;
  virtual absl::Status Defer(const std::string& endpoint_id, absl::Duration delay) = 0;
  virtual absl::StatusOr<QueueStats> Stats(const std::string& replica,
                                           absl::Duration reporter_lease) = 0;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_DELIVERY_QUEUE_H_
