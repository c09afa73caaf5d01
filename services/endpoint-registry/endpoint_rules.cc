#include "services/endpoint-registry/endpoint_rules.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/delivery_vocabulary.h"

namespace argus {

EndpointFormat DetectFormat(const TargetUrl& url) {
  if (url.host == "hooks.slack.com") return EndpointFormat::kSlack;
  bool discord_host = url.host == "discord.com" || url.host == "discordapp.com" ||
                      url.host == "ptb.discord.com" || url.host == "canary.discord.com";
  if (discord_host && absl::StartsWith(url.path, "/api/webhooks/")) {
    return EndpointFormat::kDiscord;
  }
  return EndpointFormat::kNative;
}

absl::StatusOr<EndpointFormat> ResolveFormat(int requested, const TargetUrl& url) {
  switch (requested) {
    case 0:
      return DetectFormat(url);
    case 1:
    case 2:
    case 3:
      return static_cast<EndpointFormat>(requested);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("format: unknown value ", requested, "; use NATIVE, SLACK or DISCORD"));
  }
}

absl::Status ValidateLabel(absl::string_view label) {
  if (label.empty() || label.size() > kMaxLabelLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("label must be 1..", kMaxLabelLength, " characters"));
  }
  for (char c : label) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return absl::InvalidArgumentError("label must not contain control characters");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> ValidateRetrySchedule(
    const std::vector<absl::Duration>& delays) {
  if (delays.size() > kMaxRetries) {
    return absl::InvalidArgumentError(
        absl::StrCat("retry_schedule: at most ", kMaxRetries, " retries"));
  }
  std::vector<int64_t> ms;
  for (size_t i = 0; i < delays.size(); ++i) {
    if (delays[i] < absl::ZeroDuration() || delays[i] > kMaxRetryDelay) {
      return absl::InvalidArgumentError(absl::StrCat("retry_schedule[", i,
                                                     "] must be between 0s and 24h, got ",
                                                     absl::FormatDuration(delays[i])));
    }
    ms.push_back(absl::ToInt64Milliseconds(delays[i]));
  }
  return ms;
}

absl::Status ValidateRateLimit(uint32_t per_second) {
  if (per_second > kMaxRateLimitPerSecond) {
    return absl::InvalidArgumentError(absl::StrCat("rate_limit_per_second must be at most ",
                                                   kMaxRateLimitPerSecond, " (0 = no limit)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ResolveOrdering(int requested) {
  if (requested != static_cast<int>(Ordering::kUnordered) &&
      requested != static_cast<int>(Ordering::kOrdered)) {
    return absl::InvalidArgumentError(absl::StrCat("ordering: unknown value ", requested,
                                                   " (ORDERING_UNSPECIFIED = unordered, ORDERED)"));
  }
  return requested;
}

absl::StatusOr<int> ResolveOrderedFailure(int requested) {
  if (requested == 0) return static_cast<int>(OrderedFailure::kPause);
  if (requested != static_cast<int>(OrderedFailure::kPause) &&
      requested != static_cast<int>(OrderedFailure::kSkip)) {
    return absl::InvalidArgumentError(
        absl::StrCat("on_ordered_failure: unknown value ", requested, " (PAUSE or SKIP)"));
  }
  return requested;
}

}  // namespace argus
