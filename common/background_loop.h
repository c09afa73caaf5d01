#ifndef ARGUS_COMMON_BACKGROUND_LOOP_H_
#define ARGUS_COMMON_BACKGROUND_LOOP_H_

#include <optional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "common/mutex.h"

namespace argus {

// A thread of its own that runs a turn of work again and again: at once
// after Start, then whenever the time the last turn asked for has come or
// Wake() was called (a wake during a turn is not lost). Every background
// loop of the services is one of these.
//
// Stop() asks the loop to end and waits until it has: turns go on with
// `stopping` true until one returns nullopt (a loop with nothing to finish
// returns it at once). Stop is safe from any thread but the loop's own, any
// number of times, also concurrently; the destructor stops.
class BackgroundLoop {
 public:
  // Returns when the next turn is due (absl::InfiniteFuture(): only on a
  // Wake), or nullopt to end the loop.
  using Turn = absl::AnyInvocable<std::optional<absl::Time>(bool stopping)>;

  BackgroundLoop() = default;
  ~BackgroundLoop() { Stop(); }

  BackgroundLoop(const BackgroundLoop&) = delete;
  BackgroundLoop& operator=(const BackgroundLoop&) = delete;

  void Start(Turn turn);
  void Wake();
  void Stop();

 private:
  void Run();

  Turn turn_;
  Mutex mu_;
  bool woken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Mutex join_mu_;  // one Stop joins; the others wait for it
  std::thread thread_ ABSL_GUARDED_BY(join_mu_);
};

}  // namespace argus

#endif  // ARGUS_COMMON_BACKGROUND_LOOP_H_
