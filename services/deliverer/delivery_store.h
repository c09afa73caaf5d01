#ifndef ARGUS_SERVICES_DELIVERER_DELIVERY_STORE_H_
#define ARGUS_SERVICES_DELIVERER_DELIVERY_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg_pool.h"
#include "common/retry_policy.h"
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

// When an endpoint that keeps failing is disabled: no success for
// `no_success_for` (counted from creation when it never succeeded) and at
// least `min_failures` failed attempts in a row.
struct AutoDisablePolicy {
  absl::Duration no_success_for = absl::Hours(24 * 5);
  int min_failures = 10;
};

// All SQL of the deliverer.
class DeliveryStore {
 public:
  // Settings of every deliverer connection (with PgPool's). A claim's
  // ORDER BY ... LIMIT over the partitions must merge the partitions' due
  // indexes; with statistics older than a burst the planner expected a few
  // due rows and sorted the whole backlog instead (measured: 60 ms per claim
  // at 200k pending instead of a few). No deliverer statement needs a sort
  // node (aggregates with ORDER BY sort on their own).
  static constexpr char kSessionSettings[] = "SET enable_sort = off";

  DeliveryStore(PgPool* pool, AutoDisablePolicy auto_disable)
      : pool_(pool), auto_disable_(auto_disable) {}

  // Leases up to `limit` due deliveries of enabled endpoints not in
  // `skip_endpoints` to `replica` for `lease` (FOR UPDATE SKIP LOCKED, oldest
  // first), in one statement.
  absl::StatusOr<std::vector<ClaimedDelivery>> Claim(
      const std::string& replica, int limit, absl::Duration lease,
      const std::vector<std::string>& skip_endpoints);

  // Writes a batch of finished attempts in one transaction: the attempt rows,
  // each delivery's new state (only where `replica` still holds the lease),
  // the endpoints' last-delivery summaries, and disables (410 Gone, or the
  // auto-disable policy): a disabled endpoint's org gets an endpoint.disabled
  // event on its other endpoints subscribed to it. Returns how many
  // endpoints were disabled.
  absl::StatusOr<int> Record(const std::string& replica, const std::vector<AttemptRecord>& records);

  // A delivery whose lease expires this many times in a row without a
  // recorded result is quarantined.
  static constexpr int kPoisonClaims = 3;

  // Returns deliveries whose lease expired (a dead replica) to pending; one
  // whose lease expired kPoisonClaims times in a row without a result ends
  // failed with an attempt tagged "poison".
  absl::StatusOr<ExpiredLeases> ExpireLeases();

  // Gives deliveries this replica claimed but never sent back to pending.
  absl::Status Release(const std::string& replica, const std::vector<std::string>& delivery_ids);

  // Moves the due, pending deliveries of a slow endpoint `delay` into the
  // future: out of the head of the due index, which every claim would
  // otherwise scan past while the endpoint is saturated. Not an attempt.
  absl::Status Defer(const std::string& endpoint_id, absl::Duration delay);

  // Also takes or renews the queue reporter lease for `replica` (held for
  // `reporter_lease` past each call; another replica takes it once expired).
  absl::StatusOr<QueueStats> Stats(const std::string& replica, absl::Duration reporter_lease);

 private:
  PgPool* pool_;
  const AutoDisablePolicy auto_disable_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_DELIVERY_STORE_H_
