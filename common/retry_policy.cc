#include "common/retry_policy.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"

namespace argus {

const std::vector<absl::Duration>& DefaultRetrySchedule() {
  static const std::vector<absl::Duration> kSchedule = {absl::Minutes(1), absl::Minutes(5),
                                                        absl::Minutes(15)};
  return kSchedule;
}

std::string ResultTag(const AttemptOutcome& o) {
  if (o.error != AttemptError::kNone) return std::string(AttemptErrorTag(o.error));
  return IsSuccessfulAttempt(o.status_code, o.error) ? "success" : "http_error";
}

Decision DecideNext(const AttemptOutcome& o, int attempt,
                    const std::vector<absl::Duration>& schedule, double jitter) {
  if (IsSuccessfulAttempt(o.status_code, o.error)) {
    return {DeliveryVerdict::kSucceeded, absl::ZeroDuration()};
  }
  if (o.error == AttemptError::kDns || o.error == AttemptError::kSsrfBlocked) {
    return {DeliveryVerdict::kFailed, absl::ZeroDuration()};
  }
  if (o.error == AttemptError::kNone && o.status_code == 410) {
    return {DeliveryVerdict::kFailed, absl::ZeroDuration(), true, "the receiver answered 410 Gone"};
  }
  const std::vector<absl::Duration>& delays = schedule.empty() ? DefaultRetrySchedule() : schedule;
  if (attempt < 1 || attempt > static_cast<int>(delays.size())) {
    return {DeliveryVerdict::kFailed, absl::ZeroDuration()};
  }
  absl::Duration delay;
  if (o.retry_after) {
    delay = std::clamp(*o.retry_after, absl::ZeroDuration(), kMaxRetryAfter);
  } else {
    delay = delays[attempt - 1] * (1.0 + 0.1 * std::clamp(jitter, -1.0, 1.0));
  }
  return {DeliveryVerdict::kRetry, delay};
}

std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now) {
  value = absl::StripAsciiWhitespace(value);
  int64_t seconds = 0;
  if (absl::SimpleAtoi(value, &seconds)) {
    if (seconds < 0) return std::nullopt;
    return absl::Seconds(seconds);
  }
  absl::Time when;
  std::string err;
  if (absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", value, absl::UTCTimeZone(), &when, &err)) {
    return std::max(when - now, absl::ZeroDuration());
  }
  return std::nullopt;
}

}  // namespace argus
