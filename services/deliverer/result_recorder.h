#ifndef ARGUS_SERVICES_DELIVERER_RESULT_RECORDER_H_
#define ARGUS_SERVICES_DELIVERER_RESULT_RECORDER_H_

#include <condition_variable>
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
  ResultRecorder(std::string replica_id, DeliveryStore* store, DelivererMetrics* metrics);
  ~ResultRecorder();  // Finish()

  ResultRecorder(const ResultRecorder&) = delete;
  ResultRecorder& operator=(const ResultRecorder&) = delete;

  void Add(std::vector<AttemptRecord> records);
  // Writes what is queued (one more try each on failure) and stops.
  // Blocks until done. Idempotent.
  void Finish();

 private:
  void Loop();

  const std::string replica_id_;
  DeliveryStore* store_;
  DelivererMetrics* metrics_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<AttemptRecord> queue_ ABSL_GUARDED_BY(mu_);
  bool finishing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_RESULT_RECORDER_H_
