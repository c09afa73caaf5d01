#include "common/project_slug.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace argus {

absl::Status ValidateProjectSlug(absl::string_view field, absl::string_view project) {
  if (project.empty()) return absl::OkStatus();
  bool ok = project.size() <= 64 &&
            (absl::ascii_islower(project[0]) || absl::ascii_isdigit(project[0]));
  for (char c : project) {
    ok = ok && (absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '-');
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " \"", project, "\" is not a project slug ([a-z0-9][a-z0-9-]*, at most 64)"));
  }
  return absl::OkStatus();
}

}  // namespace argus
