#include "common/background_loop.h"

namespace argus {

void BackgroundLoop::Start(Turn turn) {
  turn_ = std::move(turn);
  absl::MutexLock lock(&join_mu_);
  thread_ = std::thread([this] { Run(); });
}

void BackgroundLoop::Wake() {
  absl::MutexLock lock(&mu_);
  woken_ = true;
}

void BackgroundLoop::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = woken_ = true;
  }
  absl::MutexLock lock(&join_mu_);
  if (thread_.joinable()) thread_.join();
}

void BackgroundLoop::Run() {
  for (;;) {
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      stopping = stopping_;
      woken_ = false;
    }
    std::optional<absl::Time> next = turn_(stopping);
    if (!next) return;
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithDeadline(absl::Condition(&woken_), *next);
  }
}

}  // namespace argus
