#include "services/event-ingest/subscription_cache.h"

#include <gtest/gtest.h>

namespace argus {
namespace {

TEST(MatchSubscribersTest, ProjectScopeAndPatterns) {
  OrgSubscriptions subs;
  subs.version = 3;
  subs.subscriptions = {
      {"exact", "", {"user.login"}},
      {"category", "", {"user.*"}},
      {"other", "", {"mfa.*", "billing.payment_failed"}},
      {"scoped", "mygame", {"user.login"}},
  };
  EXPECT_EQ(MatchSubscribers(subs, "user.login", ""),
            (std::vector<std::string>{"exact", "category"}));
  EXPECT_EQ(MatchSubscribers(subs, "user.login", "mygame"),
            (std::vector<std::string>{"exact", "category", "scoped"}));
  EXPECT_EQ(MatchSubscribers(subs, "user.login", "othergame"),
            (std::vector<std::string>{"exact", "category"}));
  EXPECT_EQ(MatchSubscribers(subs, "billing.payment_failed", ""),
            (std::vector<std::string>{"other"}));
  EXPECT_TRUE(MatchSubscribers(subs, "sso.authenticated", "").empty());
}

TEST(SubscriptionCacheTest, PutGetEvict) {
  SubscriptionCache cache;
  EXPECT_EQ(cache.Get("org"), nullptr);
  cache.Put("org", {.version = 7, .subscriptions = {{"e1", "", {"user.*"}}}});
  ASSERT_NE(cache.Get("org"), nullptr);
  EXPECT_EQ(cache.Get("org")->version, 7);
  cache.Evict("org");
  EXPECT_EQ(cache.Get("org"), nullptr);
  cache.Put("a", {});
  cache.Put("b", {});
  cache.Clear();
  EXPECT_EQ(cache.Get("a"), nullptr);
}

}  // namespace
}  // namespace argus
