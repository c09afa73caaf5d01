#ifndef ARGUS_COMMON_RETRY_POLICY_H_
#define ARGUS_COMMON_RETRY_POLICY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/delivery_vocabulary.h"

namespace argus {

// Delays before each retry when an endpoint sets none: 1 min, 5 min, 15 min.
const std::vector<absl::Duration>& DefaultRetrySchedule();

// Retry-After is honoured, but never beyond this.
inline constexpr absl::Duration kMaxRetryAfter = absl::Hours(1);

// What one attempt came to.
struct AttemptOutcome {
  int status_code = 0;  // 0 when no HTTP answer arrived
  AttemptError error = AttemptError::kNone;
  std::optional<absl::Duration> retry_after;  // from a 429/503 answer
};

enum class DeliveryVerdict { kSucceeded, kRetry, kFailed };

struct Decision {
  DeliveryVerdict verdict;
  absl::Duration delay;           // kRetry: wait this long before the next attempt
  bool disable_endpoint = false;  // 410 Gone
  std::string disable_reason;
};

// The result tag of an attempt, as metrics and the delivery log name it:
// success, http_error, or the error tag (AttemptErrorTag).
std::string ResultTag(const AttemptOutcome& outcome);

// After attempt number `attempt` (1 = first): 2xx succeeds; DNS failures,
// SSRF refusals and 410 Gone fail at once (410 also disables the endpoint);
// otherwise the next delay of `schedule` (empty = default) with ±10% jitter
// (`jitter` in [-1, 1]), or Retry-After (clamped to 0..1h) when the answer
// carried one; after the last delay the delivery fails.
Decision DecideNext(const AttemptOutcome& outcome, int attempt,
                    const std::vector<absl::Duration>& schedule, double jitter);

// Retry-After: delta-seconds or an HTTP-date (relative to `now`). nullopt
// when malformed.
std::optional<absl::Duration> ParseRetryAfter(absl::string_view value, absl::Time now);

}  // namespace argus

#endif  // ARGUS_COMMON_RETRY_POLICY_H_
