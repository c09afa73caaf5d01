#include "common/health_service.h"

#include <algorithm>
#include <atomic>

namespace argus {

using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

class HealthService::Watcher final : public grpc::ServerWriteReactor<HealthCheckResponse> {
 public:
  Watcher(HealthService* owner, HealthCheckResponse::ServingStatus status) : owner_(owner) {
    response_.set_status(status);
    StartWrite(&response_);
  }

  // Finishes the stream once, whoever asks first (cancel or shutdown).
  // Finish is the last use of `this`: OnDone may delete the watcher.
  void FinishOnce(const grpc::Status& status) {
    if (finished_.exchange(true)) return;
    Finish(status);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) FinishOnce(grpc::Status::CANCELLED);
  }
  void OnCancel() override { FinishOnce(grpc::Status::CANCELLED); }
  void OnDone() override {
    owner_->Forget(this);
    delete this;
  }

 private:
  HealthService* owner_;
  HealthCheckResponse response_;
  std::atomic<bool> finished_{false};
};

HealthService::HealthService(std::vector<std::string> services) : services_(std::move(services)) {}

HealthService::~HealthService() = default;

HealthCheckResponse::ServingStatus HealthService::StatusOf(const std::string& service) {
  bool known =
      service.empty() || std::find(services_.begin(), services_.end(), service) != services_.end();
  if (!known) return HealthCheckResponse::SERVICE_UNKNOWN;
  return shutting_down_ || !serving_ ? HealthCheckResponse::NOT_SERVING
                                     : HealthCheckResponse::SERVING;
}

grpc::ServerUnaryReactor* HealthService::Check(grpc::CallbackServerContext* context,
                                               const HealthCheckRequest* request,
                                               HealthCheckResponse* response) {
  auto* reactor = context->DefaultReactor();
  HealthCheckResponse::ServingStatus status;
  {
    RecursiveMutexLock lock(&mu_);
    status = StatusOf(request->service());
  }
  if (status == HealthCheckResponse::SERVICE_UNKNOWN) {
    reactor->Finish(
        grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown service: " + request->service()));
  } else {
    response->set_status(status);
    reactor->Finish(grpc::Status::OK);
  }
  return reactor;
}

grpc::ServerWriteReactor<HealthCheckResponse>* HealthService::Watch(
    grpc::CallbackServerContext* context, const HealthCheckRequest* request) {
  RecursiveMutexLock lock(&mu_);
  auto* watcher = new Watcher(this, StatusOf(request->service()));
  if (shutting_down_) {
    watcher->FinishOnce(grpc::Status::OK);
  } else {
    watchers_.insert(watcher);
  }
  return watcher;
}

void HealthService::SetServing(bool serving) {
  RecursiveMutexLock lock(&mu_);
  if (serving_ == serving) return;
  serving_ = serving;
  FinishWatches();
}

void HealthService::FinishWatches() {
  std::set<Watcher*> open = watchers_;
  for (Watcher* w : open) w->FinishOnce(grpc::Status::OK);
}

void HealthService::Shutdown() {
  RecursiveMutexLock lock(&mu_);
  shutting_down_ = true;
  FinishWatches();
}

void HealthService::Forget(Watcher* watcher) {
  RecursiveMutexLock lock(&mu_);
  watchers_.erase(watcher);
}

}  // namespace argus
