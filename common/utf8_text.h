#ifndef ARGUS_COMMON_UTF8_TEXT_H_
#define ARGUS_COMMON_UTF8_TEXT_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace argus {

// True when `bytes` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool IsValidUtf8(absl::string_view bytes);

// Any bytes as text PostgreSQL and JSON accept: each byte that is not part
// of a well-formed UTF-8 sequence, and each NUL and other C0 control except
// tab, LF and CR, becomes U+FFFD; the result is cut at a character
// boundary to at most `max_bytes`. A receiver's response body goes through
// this before it is stored.
std::string ToSafeText(absl::string_view bytes, size_t max_bytes);

}  // namespace argus

#endif  // ARGUS_COMMON_UTF8_TEXT_H_
