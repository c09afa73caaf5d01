#include "common/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace argus {
namespace {

// One inet_aton part: decimal, 0-prefixed octal or 0x hex.
std::optional<uint64_t> ParsePart(absl::string_view part) {
  if (part.empty()) return std::nullopt;
  int base = 10;
  if (part.size() > 1 && part[0] == '0' && (part[1] == 'x' || part[1] == 'X')) {
    base = 16;
    part.remove_prefix(2);
    if (part.empty()) return uint64_t{0};  // "0x" alone is 0, as inet_aton has it
  } else if (part.size() > 1 && part[0] == '0') {
    base = 8;
    part.remove_prefix(1);
  }
  if (part.size() > 16) return std::nullopt;
  uint64_t value = 0;
  for (char c : part) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return std::nullopt;
    }
    if (digit >= base) return std::nullopt;
    value = value * base + digit;
    if (value > 0xffffffffULL) return std::nullopt;
  }
  return value;
}

struct V4Range {
  uint32_t base;
  int prefix;
  const char* name;
};

// Every IPv4 range that is not public unicast (IANA special-purpose registry).
constexpr V4Range kV4Ranges[] = {
    {0x00000000, 8, "this network (0.0.0.0/8)"},
    {0x0a000000, 8, "private (10.0.0.0/8)"},
    {0x64400000, 10, "carrier-grade NAT (100.64.0.0/10)"},
    {0x7f000000, 8, "loopback (127.0.0.0/8)"},
    {0xa9fe0000, 16, "link-local (169.254.0.0/16, includes cloud metadata)"},
    {0xac100000, 12, "private (172.16.0.0/12)"},
    {0xc0000000, 24, "IETF protocol assignments (192.0.0.0/24)"},
    {0xc0000200, 24, "documentation (192.0.2.0/24)"},
    {0xc0586300, 24, "6to4 relay anycast (192.88.99.0/24)"},
    {0xc0a80000, 16, "private (192.168.0.0/16)"},
    {0xc6120000, 15, "benchmarking (198.18.0.0/15)"},
    {0xc6336400, 24, "documentation (198.51.100.0/24)"},
    {0xcb007100, 24, "documentation (203.0.113.0/24)"},
    {0xe0000000, 4, "multicast (224.0.0.0/4)"},
    {0xf0000000, 4, "reserved (240.0.0.0/4, includes broadcast)"},
};

uint32_t V4Value(const IpAddress& a) {
  return (uint32_t{a.bytes[0]} << 24) | (uint32_t{a.bytes[1]} << 16) | (uint32_t{a.bytes[2]} << 8) |
         uint32_t{a.bytes[3]};
}

IpAddress V4At(const IpAddress& v6, int offset) {
  IpAddress v4;
  v4.is_v4 = true;
  std::memcpy(v4.bytes.data(), v6.bytes.data() + offset, 4);
  return v4;
}

bool PrefixMatches(const IpAddress& addr, const IpAddress& base, int prefix) {
  int full = prefix / 8;
  if (std::memcmp(addr.bytes.data(), base.bytes.data(), full) != 0) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (addr.bytes[full] & mask) == (base.bytes[full] & mask);
}

bool V6Prefix(const IpAddress& a, absl::string_view base, int prefix) {
  return PrefixMatches(a, *ParseIpv6(base), prefix);
}

std::string NonPublicV4(const IpAddress& a) {
  uint32_t v = V4Value(a);
  for (const V4Range& r : kV4Ranges) {
    uint32_t mask = r.prefix == 0 ? 0 : ~uint32_t{0} << (32 - r.prefix);
    if ((v & mask) == r.base) return r.name;
  }
  return "";
}

std::string Embedded(const IpAddress& v4, absl::string_view form) {
  std::string inner = NonPublicV4(v4);
  if (inner.empty()) return "";
  return absl::StrCat(inner, " via ", form);
}

}  // namespace

IpAddress IpAddress::V4(uint32_t v) {
  IpAddress a;
  a.is_v4 = true;
  a.bytes[0] = v >> 24;
  a.bytes[1] = (v >> 16) & 0xff;
  a.bytes[2] = (v >> 8) & 0xff;
  a.bytes[3] = v & 0xff;
  return a;
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof(buf));
  return buf;
}

std::optional<IpAddress> ParseIpv4Loose(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.empty() || parts.size() > 4) return std::nullopt;
  std::vector<uint64_t> values;
  for (absl::string_view p : parts) {
    std::optional<uint64_t> v = ParsePart(p);
    if (!v) return std::nullopt;
    values.push_back(*v);
  }
  // All but the last part are single bytes; the last fills what is left.
  uint64_t result = 0;
  for (size_t i = 0; i + 1 < values.size(); ++i) {
    if (values[i] > 0xff) return std::nullopt;
    result |= values[i] << (24 - 8 * i);
  }
  int last_bits = 32 - 8 * static_cast<int>(values.size() - 1);
  if (last_bits < 32 && values.back() >= (uint64_t{1} << last_bits)) return std::nullopt;
  result |= values.back();
  return IpAddress::V4(static_cast<uint32_t>(result));
}

std::optional<IpAddress> ParseIpv6(absl::string_view text) {
  std::string s(text);
  IpAddress a;
  if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) != 1) return std::nullopt;
  return a;
}

std::optional<IpAddress> FromSockaddr(const sockaddr* addr) {
  IpAddress a;
  if (addr->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    a.is_v4 = true;
    std::memcpy(a.bytes.data(), &in->sin_addr, 4);
    return a;
  }
  if (addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    std::memcpy(a.bytes.data(), &in6->sin6_addr, 16);
    return a;
  }
  return std::nullopt;
}

std::string NonPublicRange(const IpAddress& a) {
  if (a.is_v4) return NonPublicV4(a);
  if (V6Prefix(a, "::", 128)) return "unspecified (::)";
  if (V6Prefix(a, "::1", 128)) return "loopback (::1)";
  if (V6Prefix(a, "::ffff:0:0", 96)) return Embedded(V4At(a, 12), "IPv4-mapped IPv6");
  if (V6Prefix(a, "::ffff:0:0:0", 96)) return Embedded(V4At(a, 12), "IPv4-translated IPv6");
  if (V6Prefix(a, "::", 96)) return Embedded(V4At(a, 12), "IPv4-compatible IPv6");
  if (V6Prefix(a, "64:ff9b::", 96)) return Embedded(V4At(a, 12), "NAT64");
  if (V6Prefix(a, "64:ff9b:1::", 48)) return "local-use NAT64 (64:ff9b:1::/48)";
  if (V6Prefix(a, "2002::", 16)) return Embedded(V4At(a, 2), "6to4");
  if (V6Prefix(a, "::", 8)) return "reserved (::/8)";
  if (V6Prefix(a, "100::", 64)) return "discard-only (100::/64)";
  if (V6Prefix(a, "2001::", 32)) return "Teredo tunnel (2001::/32)";
  if (V6Prefix(a, "2001:db8::", 32)) return "documentation (2001:db8::/32)";
  if (V6Prefix(a, "2001::", 23)) return "IETF protocol assignments (2001::/23)";
  if (V6Prefix(a, "3fff::", 20)) return "documentation (3fff::/20)";
  if (V6Prefix(a, "5f00::", 16)) return "segment routing (5f00::/16)";
  if (V6Prefix(a, "fc00::", 7)) return "unique local (fc00::/7)";
  if (V6Prefix(a, "fe80::", 10)) return "link-local (fe80::/10)";
  if (V6Prefix(a, "fec0::", 10)) return "site-local (fec0::/10)";
  if (V6Prefix(a, "ff00::", 8)) return "multicast (ff00::/8)";
  // Only 2000::/3 is allocated global unicast.
  if (!V6Prefix(a, "2000::", 3)) return "unallocated IPv6";
  return "";
}

bool Cidr::Contains(const IpAddress& addr) const {
  if (addr.is_v4 != base.is_v4) {
    // An IPv4-mapped IPv6 address is matched against IPv4 ranges.
    if (base.is_v4 && V6Prefix(addr, "::ffff:0:0", 96)) {
      return PrefixMatches(V4At(addr, 12), base, prefix_length);
    }
    return false;
  }
  return PrefixMatches(addr, base, prefix_length);
}

absl::StatusOr<Cidr> ParseCidr(absl::string_view text) {
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(text, '/');
  Cidr cidr;
  std::optional<IpAddress> base;
  if (parts.first.find(':') != absl::string_view::npos) {
    base = ParseIpv6(parts.first);
  } else {
    in_addr strict;
    std::string s(parts.first);
    if (inet_pton(AF_INET, s.c_str(), &strict) == 1) base = ParseIpv4Loose(s);
  }
  int max_len = base && base->is_v4 ? 32 : 128;
  if (!base || !absl::SimpleAtoi(parts.second, &cidr.prefix_length) || cidr.prefix_length < 0 ||
      cidr.prefix_length > max_len) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid CIDR \"", text, "\": want e.g. 127.0.0.0/8 or ::1/128"));
  }
  cidr.base = *base;
  return cidr;
}

absl::StatusOr<std::vector<Cidr>> ParseCidrList(absl::string_view text) {
  std::vector<Cidr> out;
  for (absl::string_view item : absl::StrSplit(text, ',', absl::SkipWhitespace())) {
    absl::StatusOr<Cidr> c = ParseCidr(absl::StripAsciiWhitespace(item));
    if (!c.ok()) return c.status();
    out.push_back(*c);
  }
  return out;
}

}  // namespace argus
