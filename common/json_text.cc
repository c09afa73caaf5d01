#include "common/json_text.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "absl/strings/ascii.h"

namespace argus {

bool IsJsonObjectText(absl::string_view text) {
  if (text.find('\0') != absl::string_view::npos) return false;
  absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(text);
  if (trimmed.empty() || trimmed.front() != '{') return false;
  return nlohmann::json::accept(text.begin(), text.end());
}

int JsonNestingDepth(absl::string_view text) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        deepest = std::max(deepest, ++depth);
        break;
      case '}':
      case ']':
        --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

}  // namespace argus
