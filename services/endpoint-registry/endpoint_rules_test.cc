#include "services/endpoint-registry/endpoint_rules.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace argus {
namespace {

EndpointFormat Detect(const char* url) { return DetectFormat(*ParseTargetUrl(url)); }

TEST(EndpointRulesTest, DetectsFormatFromUrl) {
  EXPECT_EQ(Detect("https://hooks.slack.com/services/T/B/X"), EndpointFormat::kSlack);
  EXPECT_EQ(Detect("https://HOOKS.SLACK.COM/services/T/B/X"), EndpointFormat::kSlack);
  EXPECT_EQ(Detect("https://discord.com/api/webhooks/1/abc"), EndpointFormat::kDiscord);
  EXPECT_EQ(Detect("https://discordapp.com/api/webhooks/1/abc"), EndpointFormat::kDiscord);
  EXPECT_EQ(Detect("https://discord.com/channels/1"), EndpointFormat::kNative);
  EXPECT_EQ(Detect("https://hooks.slack.com.evil.example/x"), EndpointFormat::kNative);
  EXPECT_EQ(Detect("https://example.com/hooks.slack.com"), EndpointFormat::kNative);
}

TEST(EndpointRulesTest, ExplicitFormatWinsAndUnknownValuesAreRefused) {
  TargetUrl slack = *ParseTargetUrl("https://hooks.slack.com/services/T/B/X");
  EXPECT_EQ(*ResolveFormat(1, slack), EndpointFormat::kNative);
  EXPECT_EQ(*ResolveFormat(0, slack), EndpointFormat::kSlack);
  EXPECT_FALSE(ResolveFormat(7, slack).ok());
}

TEST(EndpointRulesTest, RetryScheduleBounds) {
  auto ms = ValidateRetrySchedule({absl::Milliseconds(750)});
  ASSERT_TRUE(ms.ok());
  EXPECT_EQ(*ms, std::vector<int64_t>{750});
  EXPECT_TRUE(ValidateRetrySchedule({}).ok());
  auto too_long = ValidateRetrySchedule({absl::Minutes(1), absl::Hours(25)});
  EXPECT_TRUE(absl::StrContains(too_long.status().message(), "retry_schedule[1]"));
  EXPECT_FALSE(ValidateRetrySchedule(std::vector<absl::Duration>(21, absl::Seconds(1))).ok());
}

TEST(EndpointRulesTest, LabelsAndRateLimits) {
  EXPECT_TRUE(ValidateLabel("#perf-alerts Slack").ok());
  EXPECT_FALSE(ValidateLabel("").ok());
  EXPECT_FALSE(ValidateLabel("tab\there").ok());
  EXPECT_TRUE(ValidateRateLimit(0).ok());
  EXPECT_FALSE(ValidateRateLimit(kMaxRateLimitPerSecond + 1).ok());
}

}  // namespace
}  // namespace argus
