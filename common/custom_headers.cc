#include "common/custom_headers.h"

#include <array>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace argus {
namespace {

constexpr size_t kMaxHeaders = 20;
constexpr size_t kMaxNameLength = 64;
constexpr size_t kMaxValueLength = 1024;

// Set by the deliverer, or hop-by-hop and proxy headers (RFC 9110 7.6.1,
// 11.7): meaningful for one connection or a proxy, never for a receiver.
constexpr std::array<absl::string_view, 14> kReservedNames = {
    "content-type",       "content-length",    "host",    "user-agent",
    "connection",         "transfer-encoding", "expect",  "te",
    "keep-alive",         "upgrade",           "trailer", "proxy-authorization",
    "proxy-authenticate", "proxy-connection"};
constexpr std::array<absl::string_view, 3> kReservedPrefixes = {"argus-", "webhook-", "x-argus-"};

// RFC 9110 token characters.
bool IsTokenChar(char c) {
  return absl::ascii_isalnum(c) ||
         absl::string_view("!#$%&'*+-.^_`|~").find(c) != absl::string_view::npos;
}

absl::Status Bad(absl::string_view name, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("headers: \"", name, "\" ", why));
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> NormalizeCustomHeaders(
    const std::map<std::string, std::string>& headers) {
  if (headers.size() > kMaxHeaders) {
    return absl::InvalidArgumentError(
        absl::StrCat("headers: at most ", kMaxHeaders, " custom headers"));
  }
  std::map<std::string, std::string> out;
  for (const auto& [raw_name, value] : headers) {
    if (raw_name.empty() || raw_name.size() > kMaxNameLength) {
      return Bad(raw_name, absl::StrCat("name must be 1..", kMaxNameLength, " characters"));
    }
    for (char c : raw_name) {
      if (!IsTokenChar(c)) return Bad(raw_name, "is not a valid header name");
    }
    std::string name = absl::AsciiStrToLower(raw_name);
    for (absl::string_view reserved : kReservedNames) {
      if (name == reserved) {
        return Bad(raw_name, "is set by Argus or is a hop-by-hop header, and cannot be set");
      }
    }
    for (absl::string_view prefix : kReservedPrefixes) {
      if (absl::StartsWith(name, prefix)) {
        return Bad(raw_name, "is reserved for Argus signature headers");
      }
    }
    if (value.size() > kMaxValueLength) {
      return Bad(raw_name, absl::StrCat("value is longer than ", kMaxValueLength, " bytes"));
    }
    // RFC 9110 5.5: no control characters but horizontal tab.
    for (char c : value) {
      unsigned char b = static_cast<unsigned char>(c);
      if ((b < 0x20 && c != '\t') || b == 0x7F) {
        return Bad(raw_name, absl::StrCat("value contains control character 0x",
                                          absl::Hex(b, absl::kZeroPad2), " (only tab is allowed)"));
      }
    }
    if (!out.emplace(name, value).second) {
      return Bad(raw_name, "is given twice");
    }
  }
  return out;
}

}  // namespace argus
