#ifndef ARGUS_COMMON_IP_ADDRESS_H_
#define ARGUS_COMMON_IP_ADDRESS_H_

#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace argus {

// An IPv4 or IPv6 address. IPv4 uses bytes[0..3].
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool is_v4 = false;

  static IpAddress V4(uint32_t host_order);
  std::string ToString() const;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// IPv4 the way inet_aton (and so every resolver and browser) reads it: one to
// four parts, each decimal, octal (leading 0) or hex (0x), the last part
// filling the remaining bytes: "127.1", "2130706433", "0x7f.0.0.1",
// "0177.0.0.1" are all 127.0.0.1. nullopt when it is not such a literal.
std::optional<IpAddress> ParseIpv4Loose(absl::string_view text);

// IPv6 text (no brackets, no zone). nullopt when malformed.
std::optional<IpAddress> ParseIpv6(absl::string_view text);

// The address of an AF_INET/AF_INET6 socket address.
std::optional<IpAddress> FromSockaddr(const sockaddr* addr);

// The name of the non-public range `addr` falls in ("loopback",
// "private (10.0.0.0/8)", "link-local", "carrier-grade NAT", …), or "" when
// it is a public unicast address. IPv6 forms that embed an IPv4 address
// (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16) are
// judged by the embedded address; Teredo and local-use NAT64 are refused.
std::string NonPublicRange(const IpAddress& addr);

struct Cidr {
  IpAddress base;
  int prefix_length = 0;
  bool Contains(const IpAddress& addr) const;
};

// "127.0.0.0/8", "::1/128". INVALID_ARGUMENT names the bad entry.
absl::StatusOr<Cidr> ParseCidr(absl::string_view text);
// Comma-separated list; empty text gives an empty list.
absl::StatusOr<std::vector<Cidr>> ParseCidrList(absl::string_view text);

}  // namespace argus

#endif  // ARGUS_COMMON_IP_ADDRESS_H_
