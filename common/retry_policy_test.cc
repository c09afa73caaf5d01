#include "common/retry_policy.h"

#include <gtest/gtest.h>

namespace argus {
namespace {

AttemptOutcome Status(int code) { return {.status_code = code}; }
AttemptOutcome Error(const char* tag) { return {.error = AttemptErrorFromTag(tag)}; }

TEST(RetryPolicyTest, SuccessOnAny2xx) {
  for (int code : {200, 201, 202, 204, 299}) {
    EXPECT_EQ(DecideNext(Status(code), 1, {}, 0).verdict, DeliveryVerdict::kSucceeded) << code;
  }
  EXPECT_EQ(ResultTag(Status(204)), "success");
  EXPECT_EQ(ResultTag(Status(302)), "http_error");
  EXPECT_EQ(ResultTag(Error("timeout")), "timeout");
}

TEST(RetryPolicyTest, DefaultScheduleThenFail) {
  EXPECT_EQ(DecideNext(Status(500), 1, {}, 0).delay, absl::Minutes(1));
  EXPECT_EQ(DecideNext(Status(500), 2, {}, 0).delay, absl::Minutes(5));
  EXPECT_EQ(DecideNext(Error("timeout"), 3, {}, 0).delay, absl::Minutes(15));
  EXPECT_EQ(DecideNext(Status(500), 4, {}, 0).verdict, DeliveryVerdict::kFailed);
  // Redirects are failures like any other non-2xx.
  EXPECT_EQ(DecideNext(Status(302), 1, {}, 0).verdict, DeliveryVerdict::kRetry);
}

TEST(RetryPolicyTest, JitterIsTenPercent) {
  EXPECT_EQ(DecideNext(Status(500), 1, {}, 1.0).delay, absl::Seconds(66));
  EXPECT_EQ(DecideNext(Status(500), 1, {}, -1.0).delay, absl::Seconds(54));
  EXPECT_EQ(DecideNext(Status(500), 1, {}, 7.0).delay, absl::Seconds(66));
}

TEST(RetryPolicyTest, EndpointScheduleReplacesTheDefault) {
  std::vector<absl::Duration> once = {absl::Milliseconds(750)};
  EXPECT_EQ(DecideNext(Status(503), 1, once, 0).delay, absl::Milliseconds(750));
  EXPECT_EQ(DecideNext(Status(503), 2, once, 0).verdict, DeliveryVerdict::kFailed);
}

TEST(RetryPolicyTest, FinalFailures) {
  EXPECT_EQ(DecideNext(Error("dns"), 1, {}, 0).verdict, DeliveryVerdict::kFailed);
  EXPECT_EQ(DecideNext(Error("ssrf_blocked"), 1, {}, 0).verdict, DeliveryVerdict::kFailed);
  Decision gone = DecideNext(Status(410), 1, {}, 0);
  EXPECT_EQ(gone.verdict, DeliveryVerdict::kFailed);
  EXPECT_TRUE(gone.disable_endpoint);
  EXPECT_FALSE(gone.disable_reason.empty());
}

TEST(RetryPolicyTest, RetryAfterIsHonouredWithinBounds) {
  AttemptOutcome busy = Status(429);
  busy.retry_after = absl::Seconds(7);
  EXPECT_EQ(DecideNext(busy, 1, {}, 0.5).delay, absl::Seconds(7));
  busy.retry_after = absl::Hours(30);
  EXPECT_EQ(DecideNext(busy, 1, {}, 0).delay, kMaxRetryAfter);
  busy.retry_after = absl::Seconds(7);
  EXPECT_EQ(DecideNext(busy, 4, {}, 0).verdict, DeliveryVerdict::kFailed);
}

TEST(RetryPolicyTest, ParsesRetryAfter) {
  absl::Time now = absl::FromUnixSeconds(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(ParseRetryAfter("120", now), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter(" 0 ", now), absl::ZeroDuration());
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:30:00 GMT", now), absl::Seconds(120));
  EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), absl::ZeroDuration());
  EXPECT_FALSE(ParseRetryAfter("-5", now).has_value());
  EXPECT_FALSE(ParseRetryAfter("soon", now).has_value());
}

}  // namespace
}  // namespace argus
