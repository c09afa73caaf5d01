#ifndef ARGUS_COMMON_IDS_H_
#define ARGUS_COMMON_IDS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace argus {

// A random (version 4) UUID in canonical lower-case form.
std::string NewUuid();

// True for canonical UUID text (8-4-4-4-12 hex digits, any case).
bool IsUuid(absl::string_view text);

// INVALID_ARGUMENT "<field> is required" / "<field> must be a UUID" unless
// `text` is a UUID. Ids are checked before any query so a typo gets a clear
// answer instead of a database error.
absl::Status CheckUuidField(absl::string_view field, absl::string_view text);

}  // namespace argus

#endif  // ARGUS_COMMON_IDS_H_
