#include "common/background_loop.h"

namespace argus {

void BackgroundLoop::Start(Turn turn) {
  turn_ = std::move(turn);
  MutexLock lock(&join_mu_);
  thread_ = std::thread([this] { Run(); });
}

void BackgroundLoop::Wake() {
  MutexLock lock(&mu_);
  woken_ = true;
}

void BackgroundLoop::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = woken_ = true;
  }
  MutexLock lock(&join_mu_);
  if (thread_.joinable()) thread_.join();
}

void BackgroundLoop::Run() {
  for (;;) {
    bool stopping;
    {
      MutexLock lock(&mu_);
      stopping = stopping_;
      woken_ = false;
    }
    std::optional<absl::Time> next = turn_(stopping);
    if (!next) return;
    MutexLock lock(&mu_);
    mu_.AwaitWithDeadline([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return woken_; }, *next);
  }
}

}  // namespace argus
