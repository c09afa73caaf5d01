#include "common/custom_headers.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace argus {
namespace {

TEST(CustomHeadersTest, LowerCasesValidHeaders) {
  auto h = NormalizeCustomHeaders({{"Authorization", "Bearer x"}, {"X-Team", "soc"}});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->at("authorization"), "Bearer x");
  EXPECT_EQ(h->at("x-team"), "soc");
}

TEST(CustomHeadersTest, RefusesReservedAndMalformed) {
  struct Bad {
    std::string name, value, reason;
  };
  for (const Bad& b : {Bad{"Content-Type", "text/plain", "cannot be set"},
                       Bad{"host", "evil", "cannot be set"},
                       Bad{"User-Agent", "x", "cannot be set"},
                       Bad{"Upgrade", "websocket", "hop-by-hop"},
                       Bad{"Keep-Alive", "timeout=5", "hop-by-hop"},
                       Bad{"Proxy-Authorization", "Basic x", "hop-by-hop"},
                       Bad{"Trailer", "x", "hop-by-hop"},
                       Bad{"x-ok",
                           "a\x01"
                           "b",
                           "control character 0x01"},
                       Bad{"x-ok", "a\x0b", "control character 0x0b"},
                       Bad{"x-ok", "a\x7f", "control character 0x7f"},
                       Bad{"argus-signature", "x", "reserved"},
                       Bad{"Webhook-Signature", "x", "reserved"},
                       Bad{"X-Argus-Signature", "x", "reserved"},
                       Bad{"x-ok", "a\r\nInjected: 1", "control character 0x0d"},
                       Bad{"x-ok", std::string("a\0b", 3), "control character 0x00"},
                       Bad{"bad name", "x", "not a valid header name"},
                       Bad{"x:y", "x", "not a valid header name"},
                       Bad{"", "x", "1..64"},
                       Bad{std::string(65, 'a'), "x", "1..64"},
                       Bad{"x-long", std::string(1025, 'v'), "longer than 1024"}}) {
    auto h = NormalizeCustomHeaders({{b.name, b.value}});
    ASSERT_FALSE(h.ok()) << b.name;
    EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(h.status().message(), b.reason))
        << b.name << " -> " << h.status().message();
  }
}

TEST(CustomHeadersTest, KeepsTabsAndEmptyValues) {
  auto h = NormalizeCustomHeaders({{"X-Tabbed", "a\tb"}, {"X-Empty", ""}});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->at("x-tabbed"), "a\tb");
  EXPECT_EQ(h->at("x-empty"), "");
}

TEST(CustomHeadersTest, RefusesCaseDuplicatesAndTooMany) {
  EXPECT_FALSE(NormalizeCustomHeaders({{"X-A", "1"}, {"x-a", "2"}}).ok());
  std::map<std::string, std::string> many;
  for (int i = 0; i < 21; ++i) many["x-h" + std::to_string(i)] = "v";
  EXPECT_FALSE(NormalizeCustomHeaders(many).ok());
}

}  // namespace
}  // namespace argus
