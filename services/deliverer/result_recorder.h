#ifndef ARGUS_SERVICES_DELIVERER_RESULT_RECORDER_H_
#define ARGUS_SERVICES_DELIVERER_RESULT_RECORDER_H_

#include <atomic>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/background_loop.h"
#include "common/mutex.h"
#include "services/deliverer/deliverer_metrics.h"
#include "services/deliverer/delivery_queue.h"

namespace argus {

// Writes attempt results to the queue (PostgreSQL) in batches (one transaction each) on a
// thread of its own, so the dispatch loop never waits for a commit between a
// NOTIFY and its claim. A batch that fails for a transient reason (the
// database is away, a conflict) is tried again with backoff, a log line each
// time. One that fails for its data is split: each row is written alone, a
// row that still fails is written once more without its response body, and
// one that fails even then is dropped with an error line (its lease expires,
// another replica sends it again; a delivery that keeps coming back without
// a result is quarantined as poison). No row can hold the others back, and
// every failure is counted in argus_webhook_result_write_failures_total.
class ResultRecorder {
 public:
  // `written` runs (on the recorder's thread) after each batch is written;
  // `next_in_order` says the batch ended a delivery of an ordered endpoint,
  // so the next one of that endpoint may be due now.
  ResultRecorder(std::string replica_id, DeliveryQueue* queue, DelivererMetrics* metrics,
                 std::function<void(bool next_in_order)> written);
  ~ResultRecorder();  // Finish()

  ResultRecorder(const ResultRecorder&) = delete;
  ResultRecorder& operator=(const ResultRecorder&) = delete;

  void Add(std::vector<AttemptRecord> records);
  // Results added and not yet written. The dispatcher counts them against
  // its capacity: claims cannot outrun the writes (if they did, leases
  // would expire under unwritten results and their deliveries go out twice).
  int Pending() const { return pending_; }
  // Writes what is queued (one more try each on failure) and stops.
  // Blocks until done. Idempotent; safe from several threads at once.
  void Finish();

 private:
  std::optional<absl::Time> Turn(bool finishing);
  // Writes `batch`; false when it failed transiently and should be retried.
  bool Write(std::vector<AttemptRecord>& batch);
  // Writes each row alone (the batch failed for its data); returns the rows
  // that failed transiently, to be retried.
  std::vector<AttemptRecord> WriteOneByOne(std::vector<AttemptRecord> batch);

  const std::string replica_id_;
  DeliveryQueue* queue_;
  DelivererMetrics* metrics_;
  const std::function<void(bool next_in_order)> written_;
  std::atomic<int> pending_{0};
  absl::Duration backoff_;  // the loop's, as is retry_at_
  absl::Time retry_at_ = absl::InfinitePast();
  Mutex mu_;
  std::deque<AttemptRecord> waiting_ ABSL_GUARDED_BY(mu_);
  BackgroundLoop loop_;  // last: its thread uses everything above
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_RESULT_RECORDER_H_
