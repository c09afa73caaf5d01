#ifndef ARGUS_COMMON_WORKER_POOL_H_
#define ARGUS_COMMON_WORKER_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"

namespace argus {

// A fixed set of threads for blocking work (database calls), so gRPC's
// callback threads never wait on PostgreSQL. The queue is bounded: when it is
// full, Submit refuses and the caller answers RESOURCE_EXHAUSTED.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t max_queue);
  // Runs what is queued, then joins.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the queue is full or the pool is stopping.
  bool Submit(std::function<void()> task);

 private:
  void Loop();

  const size_t max_queue_;
  Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace argus

#endif  // ARGUS_COMMON_WORKER_POOL_H_
