#ifndef ARGUS_COMMON_MUTEX_H_
#define ARGUS_COMMON_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "absl/base/thread_annotations.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace argus {

// The mutex of shared state: absl::Mutex's shape (annotations clang's
// -Wthread-safety checks, waits on a condition), over std::mutex.
//
// Why not absl::Mutex itself: Debian's abseil is not built with
// ThreadSanitizer, so TSan cannot see its locking and reports every access
// it guards as a race (tried: two threads incrementing a counter, each
// increment under an absl::MutexLock, gave a data race report). std::mutex
// locks through pthreads, which TSan intercepts.
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  // Waiters re-check their conditions after every unlock.
  void Unlock() ABSL_UNLOCK_FUNCTION() {
    bool wake = waiters_ > 0;
    mu_.unlock();
    if (wake) changed_.notify_all();
  }

  // Releases the lock until `ready()` (evaluated with the lock held) is
  // true. `ready` may read what this mutex guards.
  template <typename Pred>
  void Await(Pred ready) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    AwaitWithDeadline(ready, absl::InfiniteFuture());
  }
  // As Await, giving up at `deadline`; returns ready().
  template <typename Pred>
  bool AwaitWithDeadline(Pred ready, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) ABSL_NO_THREAD_SAFETY_ANALYSIS {
    std::unique_lock<std::mutex> lock(mu_, std::adopt_lock);
    ++waiters_;
    bool ok = true;
    if (deadline == absl::InfiniteFuture()) {
      changed_.wait(lock, ready);
    } else {
      ok = changed_.wait_until(lock, absl::ToChronoTime(deadline), ready);
    }
    --waiters_;
    lock.release();
    return ok;
  }
  template <typename Pred>
  bool AwaitWithTimeout(Pred ready, absl::Duration timeout) ABSL_EXCLUSIVE_LOCKS_REQUIRED(this) {
    return AwaitWithDeadline(ready, absl::Now() + timeout);
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int waiters_ = 0;  // guarded by mu_
};

// For the one lock that a thread holding it may take again (HealthService:
// finishing a watch can run its OnDone on the same thread).
class ABSL_LOCKABLE RecursiveMutex {
 public:
  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }

 private:
  std::recursive_mutex mu_;
};

// Holds a Mutex (or a RecursiveMutex) for its scope.
template <typename M>
class ABSL_SCOPED_LOCKABLE BasicMutexLock {
 public:
  explicit BasicMutexLock(M* mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) { mu_->Lock(); }
  ~BasicMutexLock() ABSL_UNLOCK_FUNCTION() { mu_->Unlock(); }

  BasicMutexLock(const BasicMutexLock&) = delete;
  BasicMutexLock& operator=(const BasicMutexLock&) = delete;

 private:
  M* const mu_;
};
using MutexLock = BasicMutexLock<Mutex>;
using RecursiveMutexLock = BasicMutexLock<RecursiveMutex>;

}  // namespace argus

#endif  // ARGUS_COMMON_MUTEX_H_
