#include "services/deliverer/result_recorder.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace argus {
namespace {

constexpr size_t kMaxRecordBatch = 500;
constexpr auto kRetryAfter = std::chrono::milliseconds(200);

}  // namespace

ResultRecorder::ResultRecorder(std::string replica_id, DeliveryStore* store,
                               DelivererMetrics* metrics, std::function<void()> written)
    : replica_id_(std::move(replica_id)),
      store_(store),
      metrics_(metrics),
      written_(std::move(written)) {
  thread_ = std::thread([this] { Loop(); });
}

ResultRecorder::~ResultRecorder() { Finish(); }

void ResultRecorder::Add(std::vector<AttemptRecord> records) {
  if (records.empty()) return;
  pending_ += static_cast<int>(records.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (AttemptRecord& r : records) queue_.push_back(std::move(r));
  }
  cv_.notify_one();
}

void ResultRecorder::Finish() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    finishing_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void ResultRecorder::Loop() {
  for (;;) {
    std::vector<AttemptRecord> batch;
    bool finishing;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return !queue_.empty() || finishing_; });
      if (queue_.empty()) return;  // finishing, all written
      finishing = finishing_;
      size_t n = std::min(queue_.size(), kMaxRecordBatch);
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + static_cast<ptrdiff_t>(n)));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<ptrdiff_t>(n));
    }
    absl::StatusOr<int> disabled = store_->Record(replica_id_, batch);
    if (disabled.ok()) {
      if (*disabled > 0) metrics_->EndpointsDisabled(*disabled);
      pending_ -= static_cast<int>(batch.size());
      written_();
      continue;
    }
    LogWarning("recording results failed", {{"error", std::string(disabled.status().message())},
                                            {"results", absl::StrCat(batch.size())}});
    if (finishing) {  // the last try: their leases will expire
      pending_ -= static_cast<int>(batch.size());
      continue;
    }
    std::unique_lock<std::mutex> lock(mu_);
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
    cv_.wait_for(lock, kRetryAfter, [this] { return finishing_; });
  }
}

}  // namespace argus
