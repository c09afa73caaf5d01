#include "services/deliverer/result_recorder.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/pg_pool.h"

namespace argus {
namespace {

constexpr size_t kMaxRecordBatch = 500;
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(200);
constexpr absl::Duration kMaxBackoff = absl::Seconds(10);

constexpr char kBodyDropped[] = "[response body dropped: it could not be stored]";

}  // namespace

ResultRecorder::ResultRecorder(std::string replica_id, DeliveryQueue* queue,
                               DelivererMetrics* metrics,
                               std::function<void(bool next_in_order)> written)
    : replica_id_(std::move(replica_id)),
      queue_(queue),
      metrics_(metrics),
      written_(std::move(written)),
      backoff_(kFirstBackoff) {
  loop_.Start([this](bool finishing) { return Turn(finishing); });
}

ResultRecorder::~ResultRecorder() { Finish(); }

void ResultRecorder::Add(std::vector<AttemptRecord> records) {
  if (records.empty()) return;
  pending_ += static_cast<int>(records.size());
  {
    MutexLock lock(&mu_);
    for (AttemptRecord& r : records) waiting_.push_back(std::move(r));
  }
  loop_.Wake();
}

void ResultRecorder::Finish() { loop_.Stop(); }

std::optional<absl::Time> ResultRecorder::Turn(bool finishing) {
  // Backing off: new results do not cut the wait short.
  if (!finishing && absl::Now() < retry_at_) return retry_at_;
  std::vector<AttemptRecord> batch;
  {
    MutexLock lock(&mu_);
    if (waiting_.empty()) {
      if (finishing) return std::nullopt;  // all written
      return absl::InfiniteFuture();
    }
    size_t n = std::min(waiting_.size(), kMaxRecordBatch);
    batch.assign(std::make_move_iterator(waiting_.begin()),
                 std::make_move_iterator(waiting_.begin() + static_cast<ptrdiff_t>(n)));
    waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<ptrdiff_t>(n));
  }
  size_t taken = batch.size();
  bool next_in_order = std::any_of(batch.begin(), batch.end(), [](const AttemptRecord& r) {
    return r.sequence > 0 && r.verdict != DeliveryVerdict::kRetry;
  });
  if (Write(batch)) {
    pending_ -= static_cast<int>(taken);
    backoff_ = kFirstBackoff;
    written_(next_in_order);
    return absl::Now();  // more may be waiting
  }
  // `batch` now holds what failed transiently.
  pending_ -= static_cast<int>(taken - batch.size());
  if (finishing) {  // the last try: their leases will expire
    pending_ -= static_cast<int>(batch.size());
    return absl::Now();
  }
  LogWarning("recording results failed; retrying", {{"results", absl::StrCat(batch.size())},
                                                    {"retry_in", absl::FormatDuration(backoff_)}});
  {
    MutexLock lock(&mu_);
    for (auto it = batch.rbegin(); it != batch.rend(); ++it) waiting_.push_front(std::move(*it));
  }
  retry_at_ = absl::Now() + backoff_;
  backoff_ = std::min(kMaxBackoff, backoff_ * 2);
  return retry_at_;
}

bool ResultRecorder::Write(std::vector<AttemptRecord>& batch) {
  absl::StatusOr<int> disabled = queue_->Record(replica_id_, batch);
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
    absl::StatusOr<int> s = queue_->Record(replica_id_, one);
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
    s = queue_->Record(replica_id_, one);
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
