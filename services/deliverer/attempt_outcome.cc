#include "services/deliverer/attempt_outcome.h"

#include "absl/strings/str_cat.h"
#include "common/retry_policy.h"

namespace argus {
namespace {

// Metrics know fewer results than the delivery log: a refused connection
// (and our own signing failure) is a network failure there.
std::string MetricResult(const AttemptOutcome& outcome) {
  if (outcome.error == AttemptError::kConnect || outcome.error == AttemptError::kSigning) {
    return std::string(AttemptErrorTag(AttemptError::kNetwork));
  }
  return ResultTag(outcome);
}

}  // namespace

AttemptOutcomeDecision DecideAttempt(FinishedRequest f, absl::Time now, double jitter) {
  const HttpResult& result = f.result;
  AttemptOutcome outcome{result.status_code, result.error, std::nullopt};
  if ((result.status_code == 429 || result.status_code == 503) && result.retry_after) {
    outcome.retry_after = ParseRetryAfter(*result.retry_after, now);
  }
  Decision decision = DecideNext(outcome, f.delivery.attempt - f.delivery.retry_base,
                                 f.delivery.endpoint->retry_schedule, jitter);
  AttemptOutcomeDecision out;
  out.metric_result = MetricResult(outcome);
  AttemptRecord& r = out.record;
  r.sequence = f.delivery.event.sequence;
  if (decision.verdict == DeliveryVerdict::kFailed && r.sequence > 0 &&
      f.delivery.endpoint->on_ordered_failure == OrderedFailure::kPause) {
    decision.verdict = DeliveryVerdict::kRetry;
    decision.delay = absl::ZeroDuration();
    r.pause_endpoint = true;
    r.pause_reason =
        absl::StrCat("ordered delivery ", f.delivery.delivery_id, " (sequence ", r.sequence,
                     ") failed on attempt ", f.delivery.attempt, " (", ResultTag(outcome),
                     "); ResumeEndpoint or Redeliver continues from it");
  }
  r.delivery_id = std::move(f.delivery.delivery_id);
  r.bucket_at = std::move(f.delivery.bucket_at);
  r.endpoint_id = std::move(f.delivery.endpoint_id);
  r.attempt = f.delivery.attempt;
  r.started = result.started;
  r.duration = result.duration;
  r.status_code = result.status_code;
  r.error = result.error;
  r.response_body = std::move(f.result.body);
  r.request_headers = std::move(f.request_headers);
  r.request_body = std::move(f.request_body);
  r.verdict = decision.verdict;
  r.next_attempt_at = now + decision.delay;
  r.disable_endpoint = decision.disable_endpoint;
  r.disable_reason = std::move(decision.disable_reason);
  return out;
}

}  // namespace argus
