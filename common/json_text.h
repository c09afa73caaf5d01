#ifndef ARGUS_COMMON_JSON_TEXT_H_
#define ARGUS_COMMON_JSON_TEXT_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace argus {

// How deeply a payload's objects and arrays may nest: {"a":{"b":1}} is 2.
// Publish refuses deeper payloads, and everything that walks stored JSON
// (renderers, the debouncer) treats a deeper one as unreadable instead of
// recursing into it: a recursive walk of 100,000 levels overflows the stack.
inline constexpr int kMaxJsonDepth = 32;

// OK when `text` is exactly one JSON object (RFC 8259): valid JSON whose
// first non-space character is '{', with no NUL byte anywhere (JSON allows
// none, PostgreSQL text stores none; the parser alone would stop at one),
// and no number beyond the range of a double (receivers' JSON parsers and
// our renderers could not read it). INVALID_ARGUMENT saying which, about
// `field`, otherwise.
absl::Status CheckJsonObjectText(absl::string_view field, absl::string_view text);
bool IsJsonObjectText(absl::string_view text);

// The deepest nesting of objects and arrays in `text`, found by one
// iterative scan (brackets inside strings do not count). Meaningful for
// valid JSON; for anything else a number no smaller than the truth.
int JsonNestingDepth(absl::string_view text);

}  // namespace argus

#endif  // ARGUS_COMMON_JSON_TEXT_H_
