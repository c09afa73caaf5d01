#include "common/target_url.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"

namespace argus {
namespace {

absl::Status Bad(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("url: ", why));
}

bool IsHostLabelChar(char c) { return absl::ascii_isalnum(c) || c == '-' || c == '_'; }

// A host whose last label is numeric is an IPv4 address to every resolver
// (WHATWG URL rules): "0x7f.1", "2130706433", "127.1".
bool LooksLikeIpv4(absl::string_view host) {
  size_t dot = host.rfind('.');
  absl::string_view last = dot == absl::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (absl::StartsWith(last, "0x")) return true;
  for (char c : last) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

absl::Status ParseHost(absl::string_view raw, TargetUrl& out) {
  if (raw.empty()) return Bad("host is empty");
  if (raw.front() == '[') {
    if (raw.back() != ']') return Bad("unterminated [IPv6] host");
    absl::string_view inner = raw.substr(1, raw.size() - 2);
    if (inner.find('%') != absl::string_view::npos) return Bad("IPv6 zone ids are not allowed");
    out.ip = ParseIpv6(inner);
    if (!out.ip) return Bad(absl::StrCat("malformed IPv6 address \"", inner, "\""));
    out.host = out.ip->ToString();
    return absl::OkStatus();
  }
  std::string host = absl::AsciiStrToLower(raw);
  if (absl::EndsWith(host, ".")) host.pop_back();
  if (host.empty() || host.size() > 253) return Bad("host name must be 1..253 characters");
  if (LooksLikeIpv4(host)) {
    out.ip = ParseIpv4Loose(host);
    if (!out.ip) return Bad(absl::StrCat("malformed IPv4 address \"", host, "\""));
    out.host = out.ip->ToString();
    return absl::OkStatus();
  }
  for (absl::string_view label : absl::StrSplit(host, '.')) {
    if (label.empty() || label.size() > 63) {
      return Bad(absl::StrCat("invalid host name \"", host, "\" (empty or over-long label)"));
    }
    for (char c : label) {
      if (!IsHostLabelChar(c)) {
        return Bad(absl::StrCat("invalid character in host name \"", host,
                                "\" (use punycode for international names)"));
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return Bad(absl::StrCat("invalid host name \"", host, "\""));
    }
  }
  out.host = std::move(host);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<TargetUrl> ParseTargetUrl(absl::string_view url) {
  if (url.empty()) return Bad("is required");
  if (url.size() > kMaxUrlLength) {
    return Bad(absl::StrCat("longer than ", kMaxUrlLength, " characters"));
  }
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return Bad("contains spaces, control or non-ASCII characters (percent-encode them)");
    }
  }
  size_t sep = url.find("://");
  if (sep == absl::string_view::npos) return Bad("must be absolute, like https://example.com/hook");
  TargetUrl out;
  out.scheme = absl::AsciiStrToLower(url.substr(0, sep));
  if (out.scheme != "https" && out.scheme != "http") {
    return Bad(absl::StrCat("scheme must be https, not \"", out.scheme, "\""));
  }
  absl::string_view rest = url.substr(sep + 3);
  if (rest.find('#') != absl::string_view::npos) return Bad("must not contain a #fragment");
  size_t path_start = rest.find_first_of("/?");
  absl::string_view authority = rest.substr(0, path_start);
  out.path = path_start == absl::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (out.path.front() == '?') out.path.insert(out.path.begin(), '/');
  if (authority.find('@') != absl::string_view::npos) {
    return Bad("must not contain credentials (user@host); send them in a custom header");
  }
  // Split host and port; an IPv6 literal keeps its brackets until ParseHost.
  absl::string_view host = authority;
  absl::string_view port;
  size_t close = authority.rfind(']');
  size_t colon = authority.rfind(':');
  if (colon != absl::string_view::npos && (close == absl::string_view::npos || colon > close)) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  ARGUS_RETURN_IF_ERROR(ParseHost(host, out));
  out.port = out.scheme == "https" ? 443 : 80;
  if (!port.empty() || colon == authority.size() - 1) {
    if (!absl::SimpleAtoi(port, &out.port) || out.port < 1 || out.port > 65535 ||
        !absl::ascii_isdigit(port.front())) {
      return Bad(absl::StrCat("invalid port \"", port, "\""));
    }
  }
  return out;
}

absl::Status CheckConnectAddress(const IpAddress& addr, const TargetPolicy& policy) {
  if (policy.allow_insecure) return absl::OkStatus();
  std::string range = NonPublicRange(addr);
  if (range.empty()) return absl::OkStatus();
  for (const Cidr& c : policy.allowed_cidrs) {
    if (c.Contains(addr)) return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat(addr.ToString(), " is not a public address: ", range));
}

absl::Status CheckTargetUrl(const TargetUrl& url, const TargetPolicy& policy) {
  if (url.scheme != "https" && !policy.allow_insecure) {
    return Bad("must use https (http is allowed only with --allow_insecure_targets)");
  }
  if (url.ip) {
    absl::Status s = CheckConnectAddress(*url.ip, policy);
    if (!s.ok()) return Bad(absl::StrCat("host ", s.message()));
  }
  if (!policy.allow_insecure &&
      (url.host == "localhost" || absl::EndsWith(url.host, ".localhost"))) {
    return Bad("host localhost is not a public address");
  }
  return absl::OkStatus();
}

}  // namespace argus
