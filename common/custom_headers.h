#ifndef ARGUS_COMMON_CUSTOM_HEADERS_H_
#define ARGUS_COMMON_CUSTOM_HEADERS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace argus {

// An endpoint's extra request headers, checked and with names lower-cased.
// Refused (INVALID_ARGUMENT naming the header): more than 20; a name that is
// not an HTTP token or longer than 64; a value with a control character
// other than tab (RFC 9110 field values) or longer than 1024; a name the
// deliverer owns (content-type, content-length, host, user-agent, expect,
// argus-*, webhook-*, x-argus-*); a hop-by-hop or proxy header (connection,
// keep-alive, te, trailer, transfer-encoding, upgrade, proxy-*); the same
// name twice in different case. An empty value is kept (sent as an empty
// header).
absl::StatusOr<std::map<std::string, std::string>> NormalizeCustomHeaders(
    const std::map<std::string, std::string>& headers);

}  // namespace argus

#endif  // ARGUS_COMMON_CUSTOM_HEADERS_H_
