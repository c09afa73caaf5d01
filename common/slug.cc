#include "common/slug.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace argus {

absl::Status ValidateSlug(absl::string_view field, absl::string_view value) {
  if (value.empty()) return absl::OkStatus();
  bool ok = value.size() <= 64 && (absl::ascii_islower(value[0]) || absl::ascii_isdigit(value[0]));
  for (char c : value) {
    ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " \"", value, "\" is not a valid slug ([a-z0-9][a-z0-9-]*, at most 64)"));
  }
  return absl::OkStatus();
}

}  // namespace argus
