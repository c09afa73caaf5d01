#ifndef ARGUS_COMMON_SLUG_H_
#define ARGUS_COMMON_SLUG_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace argus {

// Empty, or a slug (org or project): [a-z0-9][a-z0-9-]*, at most 64 characters.
// INVALID_ARGUMENT names `field` and the bad value.
absl::Status ValidateSlug(absl::string_view field, absl::string_view value);

}  // namespace argus

#endif  // ARGUS_COMMON_SLUG_H_
