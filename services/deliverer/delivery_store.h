#ifndef ARGUS_SERVICES_DELIVERER_DELIVERY_STORE_H_
#define ARGUS_SERVICES_DELIVERER_DELIVERY_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/pg_pool.h"
#include "services/deliverer/delivery_queue.h"
#include "services/deliverer/endpoint_cache.h"

namespace argus {

// When an endpoint that keeps failing is disabled: no success for
// `no_success_for` (counted from creation when it never succeeded) and at
// least `min_failures` failed attempts in a row.
struct AutoDisablePolicy {
  absl::Duration no_success_for = absl::Hours(24 * 5);
  int min_failures = 10;
};

// All SQL of the deliverer.
class DeliveryStore final : public DeliveryQueue {
 public:
  // Settings of every deliverer connection (with PgPool's). A claim's
  // ORDER BY ... LIMIT must read the due index in order; with statistics
  // older than a burst the planner expected a few due rows and sorted the
  // whole backlog instead (measured: 60 ms per claim at 200k pending
  // instead of a few). No deliverer statement needs a sort node
  // (aggregates with ORDER BY sort on their own).
  static constexpr char kSessionSettings[] = "SET enable_sort = off";

  // Registers its hot statements with `pool` (prepared on each connection).
  DeliveryStore(PgPool* pool, AutoDisablePolicy auto_disable);

  // Leases up to `limit` due, ready queue rows of endpoints not in
  // `skip_endpoints` to `replica` for `lease` (FOR UPDATE SKIP LOCKED, oldest
  // first), in one statement; their endpoints come from the cache. Rows of
  // endpoints the cache knows not to be enabled are given back held.
  // Called from one thread at a time.
  absl::StatusOr<std::vector<ClaimedDelivery>> Claim(
      const std::string& replica, int limit, absl::Duration lease,
      const std::vector<std::string>& skip_endpoints) override;

  // Writes a batch of finished attempts in one transaction: the attempt rows,
  // each delivery's new state (only where `replica` still holds the lease),
  // the endpoints' last-delivery summaries, and disables (410 Gone, or the
  // auto-disable policy): a disabled endpoint's org gets an endpoint.disabled
  // event on its other endpoints subscribed to it. Returns how many
  // endpoints were disabled.
  absl::StatusOr<int> Record(const std::string& replica,
                             const std::vector<AttemptRecord>& records) override;

  // A delivery whose lease expires this many times in a row without a
  // recorded result is quarantined.
  static constexpr int kPoisonClaims = 3;

  // Returns deliveries whose lease expired (a dead replica) to pending; one
  // whose lease expired kPoisonClaims times in a row without a result ends
  // failed with an attempt tagged "poison".
  absl::StatusOr<ExpiredLeases> ExpireLeases() override;

  // Releases due deliveries of rate-limited endpoints while their shared
  // token buckets allow (argus_release_metered); returns how many.
  absl::StatusOr<int64_t> ReleaseMetered() override;

  // Gives deliveries this replica claimed but never sent back to pending.
  absl::Status Release(const std::string& replica,
                       const std::vector<std::string>& delivery_ids) override;

  // Moves the due, pending deliveries of a slow endpoint `delay` into the
  // future: out of the head of the due index, which every claim would
  // otherwise scan past while the endpoint is saturated. Not an attempt.
  absl::Status Defer(const std::string& endpoint_id, absl::Duration delay) override;

  // Also takes or renews the queue reporter lease for `replica` (held for
  // `reporter_lease` past each call; another replica takes it once expired).
  absl::StatusOr<QueueStats> Stats(const std::string& replica,
                                   absl::Duration reporter_lease) override;

 private:
  PgPool* pool_;
  const AutoDisablePolicy auto_disable_;
  EndpointCache endpoints_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_DELIVERY_STORE_H_
