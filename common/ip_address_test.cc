#include "common/ip_address.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "absl/strings/match.h"

namespace argus {
namespace {

std::string ClassifyV4(absl::string_view text) {
  std::optional<IpAddress> a = ParseIpv4Loose(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a ? NonPublicRange(*a) : "unparsed";
}

std::string ClassifyV6(absl::string_view text) {
  std::optional<IpAddress> a = ParseIpv6(text);
  EXPECT_TRUE(a.has_value()) << text;
  return a ? NonPublicRange(*a) : "unparsed";
}

TEST(ParseIpv4LooseTest, ReadsEveryInetAtonForm) {
  const IpAddress loopback = IpAddress::V4(0x7f000001);
  for (const char* form : {"127.0.0.1", "127.1", "127.0.1", "2130706433", "0x7f000001",
                           "0x7f.0.0.1", "0177.0.0.1", "0177.0.0.01", "0x7F.1", "017700000001"}) {
    std::optional<IpAddress> a = ParseIpv4Loose(form);
    ASSERT_TRUE(a.has_value()) << form;
    EXPECT_EQ(*a, loopback) << form;
  }
}

TEST(ParseIpv4LooseTest, RejectsWhatIsNotAnAddress) {
  for (const char* form : {"", "1.2.3.4.5", "256.0.0.1", "1.2.3.256", "08.0.0.1", "0x1g.0.0.1",
                           "1..2", "4294967296", "example.com", "1.2.65536"}) {
    EXPECT_FALSE(ParseIpv4Loose(form).has_value()) << form;
  }
}

struct Case {
  const char* address;
  const char* range_contains;  // "" = public
};

class Ipv4RangeTest : public ::testing::TestWithParam<Case> {};

TEST_P(Ipv4RangeTest, Classifies) {
  std::string range = ClassifyV4(GetParam().address);
  if (absl::string_view(GetParam().range_contains).empty()) {
    EXPECT_EQ(range, "") << GetParam().address;
  } else {
    EXPECT_TRUE(absl::StrContains(range, GetParam().range_contains))
        << GetParam().address << " -> " << range;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Forms, Ipv4RangeTest,
    ::testing::Values(Case{"127.0.0.1", "loopback"}, Case{"127.255.255.254", "loopback"},
                      Case{"2130706433", "loopback"}, Case{"0x7f.1", "loopback"},
                      Case{"0177.1", "loopback"}, Case{"0.0.0.0", "this network"},
                      Case{"0", "this network"}, Case{"10.1.2.3", "private"},
                      Case{"172.16.0.1", "private"}, Case{"172.31.255.255", "private"},
                      Case{"192.168.1.1", "private"}, Case{"169.254.169.254", "link-local"},
                      Case{"100.64.0.1", "carrier-grade NAT"},
                      Case{"100.127.255.255", "carrier-grade NAT"}, Case{"192.0.0.170", "IETF"},
                      Case{"192.0.2.1", "documentation"}, Case{"198.18.0.1", "benchmarking"},
                      Case{"198.51.100.7", "documentation"}, Case{"203.0.113.9", "documentation"},
                      Case{"224.0.0.1", "multicast"}, Case{"239.255.255.250", "multicast"},
                      Case{"240.0.0.1", "reserved"}, Case{"255.255.255.255", "reserved"},
                      Case{"8.8.8.8", ""}, Case{"1.1.1.1", ""}, Case{"172.32.0.1", ""},
                      Case{"100.128.0.1", ""}, Case{"93.184.216.34", ""}));

class Ipv6RangeTest : public ::testing::TestWithParam<Case> {};

TEST_P(Ipv6RangeTest, Classifies) {
  std::string range = ClassifyV6(GetParam().address);
  if (absl::string_view(GetParam().range_contains).empty()) {
    EXPECT_EQ(range, "") << GetParam().address;
  } else {
    EXPECT_TRUE(absl::StrContains(range, GetParam().range_contains))
        << GetParam().address << " -> " << range;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Forms, Ipv6RangeTest,
    ::testing::Values(
        Case{"::1", "loopback"}, Case{"::", "unspecified"}, Case{"0:0:0:0:0:0:0:1", "loopback"},
        Case{"::ffff:127.0.0.1", "IPv4-mapped"}, Case{"::ffff:7f00:1", "loopback"},
        Case{"::ffff:169.254.169.254", "link-local"}, Case{"::ffff:10.0.0.1", "private"},
        Case{"::127.0.0.1", "IPv4-compatible"}, Case{"::ffff:0:127.0.0.1", "IPv4-translated"},
        Case{"64:ff9b::7f00:1", "NAT64"}, Case{"64:ff9b::a9fe:a9fe", "link-local"},
        Case{"64:ff9b:1::1", "local-use NAT64"}, Case{"2002:7f00:1::", "6to4"},
        Case{"2002:c0a8:101::1", "private"}, Case{"2001:0:4136:e378::1", "Teredo"},
        Case{"2001:db8::1", "documentation"}, Case{"fc00::1", "unique local"},
        Case{"fd12:3456::1", "unique local"}, Case{"fe80::1", "link-local"},
        Case{"febf::1", "link-local"}, Case{"fec0::1", "site-local"}, Case{"ff02::1", "multicast"},
        Case{"100::1", "discard"}, Case{"4000::1", "unallocated"}, Case{"2606:4700:4700::1111", ""},
        Case{"2001:4860:4860::8888", ""}, Case{"::ffff:8.8.8.8", ""},
        Case{"64:ff9b::808:808", ""}));

TEST(FromSockaddrTest, ReadsBothFamilies) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  inet_pton(AF_INET, "10.0.0.1", &in.sin_addr);
  EXPECT_EQ(FromSockaddr(reinterpret_cast<sockaddr*>(&in))->ToString(), "10.0.0.1");
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &in6.sin6_addr);
  std::optional<IpAddress> a = FromSockaddr(reinterpret_cast<sockaddr*>(&in6));
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(absl::StrContains(NonPublicRange(*a), "loopback"));
}

TEST(CidrTest, ContainsAndMappedForms) {
  Cidr loop = *ParseCidr("127.0.0.0/8");
  EXPECT_TRUE(loop.Contains(*ParseIpv4Loose("127.9.9.9")));
  EXPECT_FALSE(loop.Contains(*ParseIpv4Loose("128.0.0.1")));
  EXPECT_TRUE(loop.Contains(*ParseIpv6("::ffff:127.0.0.1")));
  EXPECT_FALSE(loop.Contains(*ParseIpv6("::1")));
  Cidr v6 = *ParseCidr("::1/128");
  EXPECT_TRUE(v6.Contains(*ParseIpv6("::1")));
  EXPECT_FALSE(v6.Contains(*ParseIpv6("::2")));
}

TEST(CidrTest, RejectsMalformed) {
  for (const char* bad : {"127.0.0.0", "127.0.0.0/33", "::1/129", "x/8", "127.1/8", "/8"}) {
    EXPECT_EQ(ParseCidr(bad).status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(ParseCidrList("127.0.0.0/8, ::1/128")->size(), 2u);
  EXPECT_TRUE(ParseCidrList("")->empty());
  EXPECT_FALSE(ParseCidrList("127.0.0.0/8,bogus").ok());
}

}  // namespace
}  // namespace argus
