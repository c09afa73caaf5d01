// SSRF bypass attempts: each must be refused when an endpoint is registered
// (URL parse + policy) or, for names, when the deliverer connects (the
// address check). Connect-time refusals of names that resolve to private
// addresses and of redirects are shown end to end in
// tests/integration/deliverer_e2e_test.cc.
#include <gtest/gtest.h>

#include "common/target_url.h"

namespace argus {
namespace {

// Refused at registration: a private/special address in any spelling, or a
// URL form we do not accept at all.
const char* const kRefusedAtRegistration[] = {
    // IPv4 loopback in every inet_aton spelling.
    "https://127.0.0.1/",
    "https://127.1/",
    "https://127.0.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0x7f.0x0.0x0.0x1/",
    "https://0177.0.0.1/",
    "https://0177.0000.0000.0001/",
    "https://017700000001/",
    "https://127.000.000.001/",
    "https://127.255.255.254:8443/x",
    // "This host" and private ranges.
    "https://0.0.0.0/",
    "https://0/",
    "https://10.0.0.1/",
    "https://012.0.0.1/",
    "https://172.16.0.1/",
    "https://172.31.255.254/",
    "https://192.168.0.1/",
    "https://3232235521/",
    "https://100.64.0.1/",
    "https://198.18.0.1/",
    // Cloud metadata services.
    "https://169.254.169.254/latest/meta-data/",
    "https://2852039166/",
    "https://0xa9fea9fe/",
    "https://[fd00:ec2::254]/",
    "https://100.100.100.200/",
    "https://[::ffff:169.254.169.254]/",
    // IPv6 loopback, unspecified, link-local, unique local, site-local, multicast.
    "https://[::1]/",
    "https://[0:0:0:0:0:0:0:1]/",
    "https://[::]/",
    "https://[fe80::1]/",
    "https://[fc00::1]/",
    "https://[fec0::1]/",
    "https://[ff02::1]/",
    // IPv4 embedded in IPv6: mapped, compatible, translated, NAT64, 6to4.
    "https://[::ffff:127.0.0.1]/",
    "https://[::ffff:7f00:1]/",
    "https://[::127.0.0.1]/",
    "https://[::ffff:0:127.0.0.1]/",
    "https://[64:ff9b::127.0.0.1]/",
    "https://[64:ff9b::a9fe:a9fe]/",
    "https://[2002:7f00:1::]/",
    "https://[64:ff9b:1::1]/",
    "https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",
    // Multicast, broadcast, reserved, documentation.
    "https://224.0.0.1/",
    "https://255.255.255.255/",
    "https://240.0.0.1/",
    "https://192.0.2.1/",
    // localhost names.
    "https://localhost/",
    "https://LOCALHOST./",
    "https://app.localhost/",
    // URL tricks: userinfo, schemes, encodings, zone ids, whitespace.
    "https://example.com@127.0.0.1/",
    "https://user:pass@example.com/",
    "https://127.0.0.1%2f@example.com/",
    "http://example.com/",
    "HTTP://example.com/",
    "file:///etc/passwd",
    "gopher://127.0.0.1:25/",
    "ftp://example.com/",
    "https://[fe80::1%25eth0]/",
    "https://exa mple.com/",
    "https://example.com\r\nHost: x/",
    "//example.com/",
    "https:/example.com/",
    "https://ex%61mple.com/",
};

TEST(SsrfCorpusTest, EveryBypassIsRefusedAtRegistration) {
  TargetPolicy strict;
  int refused = 0;
  for (const char* url : kRefusedAtRegistration) {
    absl::StatusOr<TargetUrl> parsed = ParseTargetUrl(url);
    absl::Status status = parsed.ok() ? CheckTargetUrl(*parsed, strict) : parsed.status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << url;
    refused += status.ok() ? 0 : 1;
  }
  EXPECT_GE(refused, 50);
}

// Names pass registration (we cannot know what they will resolve to); the
// deliverer checks the address it actually connects to.
TEST(SsrfCorpusTest, ConnectTimeCheckRefusesWhatNamesResolveTo) {
  TargetPolicy strict;
  for (const char* addr : {"127.0.0.1", "10.1.2.3", "169.254.169.254", "0.0.0.0", "100.64.1.1"}) {
    EXPECT_EQ(CheckConnectAddress(*ParseIpv4Loose(addr), strict).code(),
              absl::StatusCode::kPermissionDenied)
        << addr;
  }
  for (const char* addr :
       {"::1", "::ffff:127.0.0.1", "64:ff9b::a00:1", "fe80::1", "fd00::1", "2002:a9fe:a9fe::1"}) {
    EXPECT_EQ(CheckConnectAddress(*ParseIpv6(addr), strict).code(),
              absl::StatusCode::kPermissionDenied)
        << addr;
  }
  EXPECT_TRUE(CheckConnectAddress(*ParseIpv4Loose("93.184.216.34"), strict).ok());
  EXPECT_TRUE(CheckConnectAddress(*ParseIpv6("2606:2800:220:1::1"), strict).ok());
  EXPECT_TRUE(CheckTargetUrl(*ParseTargetUrl("https://rebinding.example.com/"), strict).ok());
}

}  // namespace
}  // namespace argus
