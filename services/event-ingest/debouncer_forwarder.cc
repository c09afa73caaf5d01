#include "services/event-ingest/debouncer_forwarder.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace argus {
namespace {

constexpr size_t kMaxQueued = 10000;

}  // namespace

DebouncerForwarder::DebouncerForwarder(const std::string& address,
                                       std::shared_ptr<grpc::ChannelCredentials> credentials,
                                       std::string internal_token)
    : stub_(webhooks::v1::Debouncer::NewStub(grpc::CreateChannel(address, std::move(credentials)))),
      internal_token_(std::move(internal_token)),
      thread_([this] { Loop(); }) {}

DebouncerForwarder::~DebouncerForwarder() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void DebouncerForwarder::Observe(webhooks::v1::ObserveRequest request) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= kMaxQueued) return;  // the debouncer catches up from the database
    queue_.push_back(std::move(request));
  }
  cv_.notify_one();
}

void DebouncerForwarder::Loop() {
  for (;;) {
    webhooks::v1::ObserveRequest request;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      request = std::move(queue_.front());
      queue_.pop_front();
    }
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", absl::StrCat("Bearer ", internal_token_));
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
    webhooks::v1::ObserveResponse response;
    (void)stub_->Observe(&ctx, request, &response);
  }
}

}  // namespace argus
