#include "common/json_text.h"

#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"

namespace argus {

bool IsJsonObjectText(absl::string_view text) {
  if (text.find('\0') != absl::string_view::npos) return false;
  absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(text);
  if (trimmed.empty() || trimmed.front() != '{') return false;
  return nlohmann::json::accept(text.begin(), text.end());
}

}  // namespace argus
