#ifndef ARGUS_COMMON_CUSTOM_HEADERS_H_
#define ARGUS_COMMON_CUSTOM_HEADERS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace argus {

// An endpoint's extra request headers, checked and with names lower-cased.
// Refused (INVALID_ARGUMENT naming the header): more than 20; a name that is
// not an HTTP token or longer than 64; a value with CR, LF or NUL or longer
// than 1024; a name the deliverer owns (content-type, content-length, host,
// user-agent, connection, transfer-encoding, argus-*, webhook-*,
// x-argus-*); the same name twice in different case.
absl::StatusOr<std::map<std::string, std::string>> NormalizeCustomHeaders(
    const std::map<std::string, std::string>& headers);

}  // namespace argus

#endif  // ARGUS_COMMON_CUSTOM_HEADERS_H_
