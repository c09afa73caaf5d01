#ifndef ARGUS_COMMON_TARGET_URL_H_
#define ARGUS_COMMON_TARGET_URL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/ip_address.h"

namespace argus {

inline constexpr size_t kMaxUrlLength = 2048;

// A webhook target, parsed strictly: what we connect to is exactly what the
// admin sees. The scheme and host are lower-cased, a trailing dot is dropped.
struct TargetUrl {
  std::string scheme;           // "https" or "http"
  std::string host;             // name or IP text, IPv6 without brackets
  int port = 0;                 // explicit port, or 443/80
  std::string path;             // path and query, at least "/"
  std::optional<IpAddress> ip;  // set when host is an IP literal (any form)
};

// INVALID_ARGUMENT, naming the problem: not absolute, bad scheme, credentials
// (user@host), fragment, malformed host or port, control characters or
// non-ASCII, longer than kMaxUrlLength.
absl::StatusOr<TargetUrl> ParseTargetUrl(absl::string_view url);

// Where webhooks may go.
struct TargetPolicy {
  // --allow_insecure_targets: http:// and any address (dev and tests only).
  bool allow_insecure = false;
  // --allowed_target_cidrs: ranges exempt from the non-public block.
  std::vector<Cidr> allowed_cidrs;
};

// Registration-time check: https unless insecure; an IP-literal host or
// "localhost" must be public (or in an allowed range). INVALID_ARGUMENT says
// why. Host names are checked again at connect time (CheckConnectAddress).
absl::Status CheckTargetUrl(const TargetUrl& url, const TargetPolicy& policy);

// Connect-time check of the address actually dialled. PERMISSION_DENIED
// naming the range when it is not public and not allowed.
absl::Status CheckConnectAddress(const IpAddress& addr, const TargetPolicy& policy);

}  // namespace argus

#endif  // ARGUS_COMMON_TARGET_URL_H_
