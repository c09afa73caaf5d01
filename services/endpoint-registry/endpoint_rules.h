#ifndef ARGUS_SERVICES_ENDPOINT_REGISTRY_ENDPOINT_RULES_H_
#define ARGUS_SERVICES_ENDPOINT_REGISTRY_ENDPOINT_RULES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/target_url.h"

namespace argus {

// Values of argus.webhooks.v1.Format, as stored.
enum class EndpointFormat : int { kUnspecified = 0, kNative = 1, kSlack = 2, kDiscord = 3 };

inline constexpr size_t kMaxLabelLength = 200;
inline constexpr size_t kMaxRetries = 20;
inline constexpr absl::Duration kMaxRetryDelay = absl::Hours(24);
inline constexpr uint32_t kMaxRateLimitPerSecond = 10000;

// Slack for hooks.slack.com, Discord for discord.com / discordapp.com
// (and their ptb./canary. hosts) under /api/webhooks, otherwise native.
EndpointFormat DetectFormat(const TargetUrl& url);

// The format to store: `requested`, or the detected one when unspecified.
// INVALID_ARGUMENT for an unknown enum value.
absl::StatusOr<EndpointFormat> ResolveFormat(int requested, const TargetUrl& url);

// 1..200 characters, no control characters.
absl::Status ValidateLabel(absl::string_view label);

// At most 20 delays, each 0..24h; returned in milliseconds.
absl::StatusOr<std::vector<int64_t>> ValidateRetrySchedule(
    const std::vector<absl::Duration>& delays);

absl::Status ValidateRateLimit(uint32_t per_second);

// argus.webhooks.v1.Ordering: ORDERING_UNSPECIFIED or ORDERED, as stored.
absl::StatusOr<int> ResolveOrdering(int requested);
// argus.webhooks.v1.OrderedFailure, as stored: unspecified is PAUSE.
absl::StatusOr<int> ResolveOrderedFailure(int requested);

}  // namespace argus

#endif  // ARGUS_SERVICES_ENDPOINT_REGISTRY_ENDPOINT_RULES_H_
