#ifndef ARGUS_SERVICES_DELIVERER_RESULT_RECORDER_H_
#define ARGUS_SERVICES_DELIVERER_RESULT_RECORDER_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "services/deliverer/deliverer_metrics.h"
#include "services/deliverer/delivery_store.h"

namespace argus {

// Writes attempt results to PostgreSQL in batches (one transaction each) on a
// thread of its own, so the dispatch loop never waits for a commit between a
// NOTIFY and its claim. What fails to be written is kept and tried again; if
// it never is, the leases expire and another replica sends again: at least
// once, never lost.
class ResultRecorder {
 public:
  // `written` runs (on the recorder's thread) after each batch is written.
  ResultRecorder(std::string replica_id, DeliveryStore* store, DelivererMetrics* metrics,
                 std::function<void()> written);
  ~ResultRecorder();  // Finish()

  ResultRecorder(const ResultRecorder&) = delete;
  ResultRecorder& operator=(const ResultRecorder&) = delete;

  void Add(std::vector<AttemptRecord> records);
  // Results added and not yet written. The dispatcher counts them against
  // its capacity: claims cannot outrun the writes (if they did, leases
  // would expire under unwritten results and their deliveries go out twice).
  int Pending() const { return pending_; }
  // Writes what is queued (one more try each on failure) and stops.
  // Blocks until done. Idempotent.
  void Finish();

 private:
  void Loop();

  const std::string replica_id_;
  DeliveryStore* store_;
  DelivererMetrics* metrics_;
  const std::function<void()> written_;
  std::atomic<int> pending_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<AttemptRecord> queue_ ABSL_GUARDED_BY(mu_);
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_RESULT_RECORDER_H_
