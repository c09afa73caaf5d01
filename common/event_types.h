#ifndef ARGUS_COMMON_EVENT_TYPES_H_
#define ARGUS_COMMON_EVENT_TYPES_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace argus {

// "user.login", "billing.subscription.updated": lower-case dotted words of
// [a-z0-9_], at least two, at most 100 characters.
bool IsValidEventTypeName(absl::string_view name);

// The category of a type: its first word ("billing" for
// "billing.payment_failed").
absl::string_view EventCategory(absl::string_view type);

// A subscription entry matches a type exactly, or as "<prefix>.*" every type
// starting with "<prefix>." ("user.*", "billing.subscription.*").
bool EventTypeMatches(absl::string_view pattern, absl::string_view type);

// True when any of `patterns` matches `type`.
bool AnyEventTypeMatches(const std::vector<std::string>& patterns, absl::string_view type);

// An endpoint's event list: non-empty, at most 100 entries, each a type of
// `catalog` or a pattern matching at least one. INVALID_ARGUMENT names the
// first bad entry.
absl::Status ValidateSubscriptions(const std::vector<std::string>& patterns,
                                   const std::vector<std::string>& catalog);

}  // namespace argus

#endif  // ARGUS_COMMON_EVENT_TYPES_H_
