#include "services/deliverer/attempt_outcome.h"

#include <gtest/gtest.h>

namespace argus {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

FinishedRequest Answered(int status, int attempt = 1) {
  FinishedRequest f;
  f.delivery.delivery_id = "d1";
  f.delivery.endpoint_id = "ep1";
  f.delivery.endpoint = std::make_shared<EndpointConfig>();
  f.delivery.attempt = attempt;
  f.result.status_code = status;
  f.result.started = kNow - absl::Milliseconds(30);
  f.result.duration = absl::Milliseconds(30);
  return f;
}

FinishedRequest Failed(AttemptError error) {
  FinishedRequest f = Answered(0);
  f.result.error = error;
  return f;
}

TEST(AttemptOutcomeTest, RetriesFollowTheScheduleWithTheGivenJitter) {
  AttemptOutcomeDecision d = DecideAttempt(Answered(500), kNow, 1.0);
  EXPECT_EQ(d.record.verdict, DeliveryVerdict::kRetry);
  EXPECT_EQ(d.record.next_attempt_at, kNow + absl::Seconds(66));  // 1 min + 10%
  EXPECT_EQ(d.metric_result, "http_error");
  EXPECT_EQ(DecideAttempt(Answered(500, 2), kNow, -1.0).record.next_attempt_at,
            kNow + absl::Seconds(270));  // 5 min - 10%
  EXPECT_EQ(DecideAttempt(Answered(500, 4), kNow, 0).record.verdict, DeliveryVerdict::kFailed);
}

TEST(AttemptOutcomeTest, AnOrderedHeadThatFailsForGoodPausesItsEndpointOrIsSkipped) {
  auto ordered = [](OrderedFailure on_failure) {
    FinishedRequest f = Answered(500, 4);  // the default schedule's last
    f.delivery.event.sequence = 9;
    auto ep = std::make_shared<EndpointConfig>();
    ep->on_ordered_failure = on_failure;
    f.delivery.endpoint = ep;
    return f;
  };
  AttemptRecord paused = DecideAttempt(ordered(OrderedFailure::kPause), kNow, 0).record;
  EXPECT_EQ(paused.verdict, DeliveryVerdict::kRetry) << "the head stays queued";
  EXPECT_EQ(paused.next_attempt_at, kNow);
  EXPECT_TRUE(paused.pause_endpoint);
  EXPECT_EQ(paused.sequence, 9);
  EXPECT_NE(paused.pause_reason.find("d1 (sequence 9) failed on attempt 4"), std::string::npos)
      << paused.pause_reason;

  AttemptRecord skipped = DecideAttempt(ordered(OrderedFailure::kSkip), kNow, 0).record;
  EXPECT_EQ(skipped.verdict, DeliveryVerdict::kFailed);
  EXPECT_FALSE(skipped.pause_endpoint);
  // A failure with retries left is a retry either way; unordered never pauses.
  FinishedRequest early = ordered(OrderedFailure::kPause);
  early.delivery.attempt = 1;
  EXPECT_FALSE(DecideAttempt(std::move(early), kNow, 0).record.pause_endpoint);
  EXPECT_FALSE(DecideAttempt(Answered(500, 4), kNow, 0).record.pause_endpoint);
}

TEST(AttemptOutcomeTest, TheScheduleRestartsAfterARedelivery) {
  FinishedRequest f = Answered(500, 5);
  f.delivery.retry_base = 4;  // attempts 1-4 before the redelivery
  EXPECT_EQ(DecideAttempt(std::move(f), kNow, 0).record.next_attempt_at, kNow + absl::Minutes(1));
}

TEST(AttemptOutcomeTest, RetryAfterIsHonouredWithinBoundsOnlyOn429And503) {
  FinishedRequest busy = Answered(429);
  busy.result.retry_after = "7";
  EXPECT_EQ(DecideAttempt(busy, kNow, 1.0).record.next_attempt_at, kNow + absl::Seconds(7));
  busy.result.retry_after = "999999";
  EXPECT_EQ(DecideAttempt(busy, kNow, 0).record.next_attempt_at, kNow + absl::Hours(1));
  busy.result.retry_after = "soon";  // malformed: the schedule
  EXPECT_EQ(DecideAttempt(busy, kNow, 0).record.next_attempt_at, kNow + absl::Minutes(1));
  FinishedRequest unavailable = Answered(503);
  unavailable.result.retry_after = "Tue, 14 Nov 2023 22:14:20 GMT";  // kNow + 1 min
  EXPECT_EQ(DecideAttempt(unavailable, kNow, 0).record.next_attempt_at, kNow + absl::Minutes(1));
  FinishedRequest error = Answered(500);
  error.result.retry_after = "7";  // not a 429/503: ignored
  EXPECT_EQ(DecideAttempt(error, kNow, 0).record.next_attempt_at, kNow + absl::Minutes(1));
}

TEST(AttemptOutcomeTest, GoneDisablesTheEndpoint) {
  AttemptOutcomeDecision d = DecideAttempt(Answered(410), kNow, 0);
  EXPECT_EQ(d.record.verdict, DeliveryVerdict::kFailed);
  EXPECT_TRUE(d.record.disable_endpoint);
  EXPECT_EQ(d.record.disable_reason, "the receiver answered 410 Gone");
}

TEST(AttemptOutcomeTest, SuccessAndFinalFailures) {
  AttemptOutcomeDecision ok = DecideAttempt(Answered(204), kNow, 0);
  EXPECT_EQ(ok.record.verdict, DeliveryVerdict::kSucceeded);
  EXPECT_EQ(ok.metric_result, "success");
  EXPECT_EQ(ok.record.delivery_id, "d1");
  EXPECT_EQ(ok.record.duration, absl::Milliseconds(30));
  EXPECT_EQ(DecideAttempt(Failed(AttemptError::kDns), kNow, 0).record.verdict,
            DeliveryVerdict::kFailed);
  EXPECT_EQ(DecideAttempt(Failed(AttemptError::kSsrfBlocked), kNow, 0).record.verdict,
            DeliveryVerdict::kFailed);
  AttemptOutcomeDecision timeout = DecideAttempt(Failed(AttemptError::kTimeout), kNow, 0);
  EXPECT_EQ(timeout.record.verdict, DeliveryVerdict::kRetry);
  EXPECT_EQ(timeout.metric_result, "timeout");
  // The log keeps "connect"; metrics count it as a network failure.
  AttemptOutcomeDecision refused = DecideAttempt(Failed(AttemptError::kConnect), kNow, 0);
  EXPECT_EQ(refused.record.error, AttemptError::kConnect);
  EXPECT_EQ(refused.metric_result, "network");
}

}  // namespace
}  // namespace argus
