#ifndef ARGUS_SERVICES_DELIVERER_PARTITION_KEEPER_H_
#define ARGUS_SERVICES_DELIVERER_PARTITION_KEEPER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/background_loop.h"
#include "common/pg_pool.h"

namespace argus {

// Keeps the week partitions of events, deliveries and delivery_attempts
// (migration 0005): next week's exist before anything is written to them,
// and the weeks that ended longer than the retention ago are dropped, their
// pending deliveries carried forward. Runs once at Start and then every `interval`
// on a thread of its own; replicas take turns through an advisory lock, so
// one pass runs at a time and the others skip theirs.
class PartitionKeeper {
 public:
  struct Options {
    absl::Duration retention = absl::Hours(24 * 30);
    absl::Duration interval = absl::Hours(1);
    int days_ahead = 7;  // partitions cover today and this many days on
  };
  // What one pass did; empty when another replica held the turn.
  struct Pass {
    int created = 0;
    std::vector<std::string> dropped;
    int64_t carried_forward = 0;
  };

  PartitionKeeper(Options options, PgPool* pool);
  ~PartitionKeeper() { Stop(); }

  PartitionKeeper(const PartitionKeeper&) = delete;
  PartitionKeeper& operator=(const PartitionKeeper&) = delete;

  void Start();
  void Stop() { loop_.Stop(); }

 private:
  absl::StatusOr<Pass> RunOnce();
  std::optional<absl::Time> Turn(bool stopping);

  const Options options_;
  PgPool* pool_;
  absl::Duration retry_;  // the loop's
  BackgroundLoop loop_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_PARTITION_KEEPER_H_
