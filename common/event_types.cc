#include "common/event_types.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace argus {

bool IsValidEventTypeName(absl::string_view name) {
  if (name.size() > 100) return false;
  int words = 0;
  for (absl::string_view word : absl::StrSplit(name, '.')) {
    if (word.empty()) return false;
    for (char c : word) {
      if (!(absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_')) return false;
    }
    ++words;
  }
  return words >= 2;
}

absl::string_view EventCategory(absl::string_view type) { return type.substr(0, type.find('.')); }

bool EventTypeMatches(absl::string_view pattern, absl::string_view type) {
  if (absl::EndsWith(pattern, ".*")) {
    absl::string_view prefix = pattern.substr(0, pattern.size() - 1);  // keeps the dot
    return type.size() > prefix.size() && absl::StartsWith(type, prefix);
  }
  return pattern == type;
}

bool AnyEventTypeMatches(const std::vector<std::string>& patterns, absl::string_view type) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [type](const std::string& p) { return EventTypeMatches(p, type); });
}

absl::Status ValidateSubscriptions(const std::vector<std::string>& patterns,
                                   const std::vector<std::string>& catalog) {
  if (patterns.empty()) {
    return absl::InvalidArgumentError(
        "event_types must list at least one event type or \"category.*\" pattern; "
        "see ListEventTypes");
  }
  if (patterns.size() > 100) {
    return absl::InvalidArgumentError("event_types: at most 100 entries");
  }
  for (const std::string& p : patterns) {
    bool is_pattern = absl::EndsWith(p, ".*");
    absl::string_view name = is_pattern ? absl::string_view(p).substr(0, p.size() - 2) : p;
    // "user.*" is well formed when "user.x" would be a type name.
    bool well_formed = IsValidEventTypeName(is_pattern ? absl::StrCat(name, ".x") : p);
    if (!well_formed) {
      return absl::InvalidArgumentError(
          absl::StrCat("event_types: \"", p, "\" is not an event type or \"category.*\" pattern"));
    }
    bool matches = std::any_of(catalog.begin(), catalog.end(),
                               [&p](const std::string& t) { return EventTypeMatches(p, t); });
    if (!matches) {
      return absl::InvalidArgumentError(
          absl::StrCat("event_types: unknown event type \"", p, "\"; see ListEventTypes"));
    }
  }
  return absl::OkStatus();
}

}  // namespace argus
