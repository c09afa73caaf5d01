#include "services/deliverer/partition_keeper.h"

#include <algorithm>
#include <pqxx/pqxx>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace argus {
namespace {

// Creating and dropping a partition lock its parent table exclusively for a
// moment; a pass that cannot get a lock within this gives up until the next
// one rather than queue the hot path behind its lock request.
constexpr char kLockTimeout[] = "SELECT set_config('lock_timeout', '2s', true)";
constexpr char kTakeTurn[] = "SELECT pg_try_advisory_xact_lock(7274836022)";
constexpr char kCreate[] = R"sql(
SELECT argus_create_partitions((now() AT TIME ZONE 'UTC')::date,
                               (now() AT TIME ZONE 'UTC')::date + $1::integer))sql";
constexpr char kDrop[] = R"sql(
SELECT dropped, carried_forward
FROM argus_drop_partitions(now() - $1 * interval '1 second'))sql";

}  // namespace

PartitionKeeper::PartitionKeeper(Options options, PgPool* pool) : options_(options), pool_(pool) {}

void PartitionKeeper::Start() {
  loop_.Start([this](bool stopping) { return Turn(stopping); });
}

absl::StatusOr<PartitionKeeper::Pass> PartitionKeeper::RunOnce() {
  return pool_->Write("keep_partitions", [&](pqxx::work& tx) -> absl::StatusOr<Pass> {
    Pass pass;
    tx.exec(kLockTimeout);
    if (!tx.exec1(kTakeTurn)[0].as<bool>()) return pass;  // another replica's turn
    pass.created = tx.exec_params1(kCreate, options_.days_ahead)[0].as<int>();
    for (const auto& row : tx.exec_params(kDrop, absl::ToInt64Seconds(options_.retention))) {
      pass.dropped.push_back(row[0].as<std::string>());
      pass.carried_forward += row[1].as<int64_t>();
    }
    return pass;
  });
}

std::optional<absl::Time> PartitionKeeper::Turn(bool stopping) {
  if (stopping) return std::nullopt;
  // A failed pass (a deadlock with a concurrent reader, the lock timeout, an
  // outage) is tried again after 1 s, doubling up to the interval.
  absl::StatusOr<Pass> pass = RunOnce();
  if (!pass.ok()) {
    retry_ = std::min(options_.interval, std::max(absl::Seconds(1), 2 * retry_));
    LogWarning(
        "keeping partitions failed; trying again",
        {{"error", std::string(pass.status().message())}, {"in", absl::FormatDuration(retry_)}});
    return absl::Now() + retry_;
  }
  retry_ = absl::ZeroDuration();
  if (pass->created > 0 || !pass->dropped.empty()) {
    LogInfo("partitions kept", {{"created", absl::StrCat(pass->created)},
                                {"dropped", absl::StrJoin(pass->dropped, "; ")},
                                {"carried_forward", absl::StrCat(pass->carried_forward)}});
  }
  return absl::Now() + options_.interval;
}

}  // namespace argus
