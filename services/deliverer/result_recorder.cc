#include "services/deliverer/result_recorder.h"

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/pg_pool.h"

namespace argus {
namespace {

constexpr size_t kMaxRecordBatch = 500;
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(200);
constexpr absl::Duration kMaxBackoff = absl::Seconds(10);

constexpr char kBodyDropped[] = "[response body dropped: it could not be stored]";

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
  absl::Duration backoff = kFirstBackoff;
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
    size_t taken = batch.size();
    if (Write(batch)) {
      pending_ -= static_cast<int>(taken);
      backoff = kFirstBackoff;
      written_();
      continue;
    }
    // `batch` now holds what failed transiently.
    pending_ -= static_cast<int>(taken - batch.size());
    if (finishing) {  // the last try: their leases will expire
      pending_ -= static_cast<int>(batch.size());
      continue;
    }
    LogWarning("recording results failed; retrying", {{"results", absl::StrCat(batch.size())},
                                                      {"retry_in", absl::FormatDuration(backoff)}});
    std::unique_lock<std::mutex> lock(mu_);
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) queue_.push_front(std::move(*it));
    cv_.wait_for(lock, absl::ToChronoMilliseconds(backoff), [this] { return finishing_; });
    backoff = std::min(kMaxBackoff, backoff * 2);
  }
}

bool ResultRecorder::Write(std::vector<AttemptRecord>& batch) {
  absl::StatusOr<int> disabled = store_->Record(replica_id_, batch);
  if (disabled.ok()) {
    if (*disabled > 0) metrics_->EndpointsDisabled(*disabled);
    batch.clear();
    return true;
  }
  if (IsTransientDatabaseError(disabled.status())) {
    metrics_->ResultWriteFailed("transient");
    LogWarning("recording results failed", {{"error", std::string(disabled.status().message())}});
    return false;
  }
  batch = WriteOneByOne(std::move(batch));
  return batch.empty();
}

std::vector<AttemptRecord> ResultRecorder::WriteOneByOne(std::vector<AttemptRecord> batch) {
  std::vector<AttemptRecord> retry;
  for (AttemptRecord& r : batch) {
    std::vector<AttemptRecord> one = {r};
    absl::StatusOr<int> s = store_->Record(replica_id_, one);
    if (s.ok()) {
      if (*s > 0) metrics_->EndpointsDisabled(*s);
      continue;
    }
    if (IsTransientDatabaseError(s.status())) {
      retry.push_back(std::move(r));
      continue;
    }
    metrics_->ResultWriteFailed("row");
    one[0].response_body = kBodyDropped;
    s = store_->Record(replica_id_, one);
    if (s.ok()) {
      metrics_->ResultWriteFailed("body_dropped");
      LogWarning("recorded an attempt without its response body (it could not be stored)",
                 {{"delivery", r.delivery_id}, {"endpoint", r.endpoint_id}});
      continue;
    }
    metrics_->ResultWriteFailed("dropped");
    LogError("cannot record an attempt; its lease will expire",
             {{"delivery", r.delivery_id},
              {"endpoint", r.endpoint_id},
              {"error", std::string(s.status().message())}});
  }
  return retry;
}

}  // namespace argus
