#ifndef ARGUS_SERVICES_DELIVERER_DELIVERY_QUEUE_H_
#define ARGUS_SERVICES_DELIVERER_DELIVERY_QUEUE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/delivery_vocabulary.h"
#include "common/webhook_payloads.h"
#include "services/deliverer/attempt_record.h"

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
  std::string url;
  int format = 1;              // argus.webhooks.v1.Format
  std::string sealed_headers;  // custom headers, sealed (see common/sealed_headers.h)
  std::map<std::string, std::string> legacy_headers;  // plain, when not sealed yet
  std::vector<absl::Duration> retry_schedule;         // empty = default
  uint32_t rate_limit_per_second = 0;
  std::vector<std::string> sealed_secrets;  // live signing secrets, newest first
  absl::Time claimed_at;                    // this replica's clock, taken before the claim ran
};

// An endpoint counts as failing (argus_webhook_failing_endpoints) after
// this many failed attempts in a row.
inline constexpr int kFailingAfter = 3;

struct QueueStats {
  int64_t pending_due = 0;    // pending and due now
  int64_t pending_later = 0;  // pending, waiting for a retry time
  int64_t in_flight = 0;
  absl::Duration oldest_due_age;  // of the oldest pending delivery that is due
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
  virtual absl::Status Release(const std::string& replica,
                               const std::vector<std::string>& delivery_ids) = 0;
  virtual absl::Status Defer(const std::string& endpoint_id, absl::Duration delay) = 0;
  virtual absl::StatusOr<QueueStats> Stats(const std::string& replica,
                                           absl::Duration reporter_lease) = 0;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_DELIVERY_QUEUE_H_
