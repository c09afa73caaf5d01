#ifndef ARGUS_COMMON_JSON_TEXT_H_
#define ARGUS_COMMON_JSON_TEXT_H_

#include "absl/strings/string_view.h"

namespace argus {

// True when `text` is exactly one JSON object (RFC 8259): valid JSON whose
// first non-space character is '{', with no NUL byte anywhere (JSON allows
// none, PostgreSQL text stores none; the parser alone would stop at one).
bool IsJsonObjectText(absl::string_view text);

}  // namespace argus

#endif  // ARGUS_COMMON_JSON_TEXT_H_
