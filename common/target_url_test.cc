#include "common/target_url.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace argus {
namespace {

TEST(ParseTargetUrlTest, NormalizesHostSchemeAndPort) {
  absl::StatusOr<TargetUrl> u = ParseTargetUrl("HTTPS://Hooks.Example.COM./a/b?x=1");
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "hooks.example.com");
  EXPECT_EQ(u->port, 443);
  EXPECT_EQ(u->path, "/a/b?x=1");
  EXPECT_FALSE(u->ip.has_value());

  u = ParseTargetUrl("https://example.com:8443");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->path, "/");
  u = ParseTargetUrl("http://example.com?q");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->path, "/?q");
}

TEST(ParseTargetUrlTest, RecognisesEveryIpLiteralForm) {
  for (const char* url :
       {"https://127.0.0.1/", "https://2130706433/", "https://0x7f.1/", "https://0177.0.0.1/",
        "https://127.1:8443/", "https://[::1]/", "https://[::ffff:127.0.0.1]:443/"}) {
    absl::StatusOr<TargetUrl> u = ParseTargetUrl(url);
    ASSERT_TRUE(u.ok()) << url << ": " << u.status();
    ASSERT_TRUE(u->ip.has_value()) << url;
    EXPECT_TRUE(absl::StrContains(NonPublicRange(*u->ip), "loopback")) << url;
  }
}

TEST(ParseTargetUrlTest, RefusesMalformedWithAReason) {
  struct Bad {
    const char* url;
    const char* reason;
  };
  for (const Bad& b :
       {Bad{"", "required"}, Bad{"example.com/hook", "absolute"},
        Bad{"ftp://example.com/", "scheme"}, Bad{"https://user:pw@example.com/", "credentials"},
        Bad{"https://example.com@127.0.0.1/", "credentials"},
        Bad{"https://example.com/#frag", "fragment"}, Bad{"https://exa mple.com/", "spaces"},
        Bad{"https://exämple.com/", "non-ASCII"}, Bad{"https://example.com:0/", "port"},
        Bad{"https://example.com:99999/", "port"}, Bad{"https://example.com:/", "port"},
        Bad{"https://example.com:+80/", "port"}, Bad{"https://[::1/", "IPv6"},
        Bad{"https://[fe80::1%25eth0]/", "zone"}, Bad{"https://256.1.1.1/", "IPv4"},
        Bad{"https://-bad-.com/", "host"}, Bad{"https://a..b.com/", "host"},
        Bad{"https:///path", "host"}, Bad{"https://exa$mple.com/", "character"}}) {
    absl::StatusOr<TargetUrl> u = ParseTargetUrl(b.url);
    ASSERT_FALSE(u.ok()) << b.url;
    EXPECT_EQ(u.status().code(), absl::StatusCode::kInvalidArgument) << b.url;
    EXPECT_TRUE(absl::StrContains(u.status().message(), b.reason))
        << b.url << " -> " << u.status().message();
  }
  std::string long_url = "https://example.com/" + std::string(kMaxUrlLength, 'a');
  EXPECT_TRUE(absl::StrContains(ParseTargetUrl(long_url).status().message(), "longer"));
}

TEST(CheckTargetUrlTest, HttpsOnlyUnlessInsecure) {
  TargetPolicy strict;
  TargetPolicy insecure{.allow_insecure = true};
  TargetUrl http = *ParseTargetUrl("http://example.com/");
  absl::Status s = CheckTargetUrl(http, strict);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(s.message(), "https"));
  EXPECT_TRUE(CheckTargetUrl(http, insecure).ok());
  EXPECT_TRUE(CheckTargetUrl(*ParseTargetUrl("https://example.com/"), strict).ok());
}

TEST(CheckTargetUrlTest, PrivateLiteralsRefusedUnlessAllowed) {
  TargetPolicy strict;
  for (const char* url :
       {"https://10.0.0.1/", "https://169.254.169.254/latest/meta-data", "https://[fd00::1]/",
        "https://localhost/", "https://a.localhost/", "https://0/"}) {
    absl::Status s = CheckTargetUrl(*ParseTargetUrl(url), strict);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_TRUE(absl::StrContains(s.message(), "public")) << url << ": " << s.message();
  }
  TargetPolicy allowed{.allowed_cidrs = {*ParseCidr("10.0.0.0/8")}};
  EXPECT_TRUE(CheckTargetUrl(*ParseTargetUrl("https://10.1.1.1/"), allowed).ok());
  EXPECT_FALSE(CheckTargetUrl(*ParseTargetUrl("https://192.168.1.1/"), allowed).ok());
  EXPECT_TRUE(CheckTargetUrl(*ParseTargetUrl("https://8.8.8.8/"), strict).ok());
}

TEST(CheckConnectAddressTest, NamesTheRange) {
  absl::Status s = CheckConnectAddress(*ParseIpv6("::ffff:127.0.0.1"), TargetPolicy{});
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(absl::StrContains(s.message(), "loopback"));
  EXPECT_TRUE(
      CheckConnectAddress(*ParseIpv4Loose("127.0.0.1"), TargetPolicy{.allow_insecure = true}).ok());
}

}  // namespace
}  // namespace argus
