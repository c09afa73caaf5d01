#include "common/event_types.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace argus {
namespace {

const std::vector<std::string> kCatalog = {"user.login", "user.created",
                                           "billing.subscription.updated", "billing.payment_failed",
                                           "session.created"};

TEST(EventTypesTest, Names) {
  EXPECT_TRUE(IsValidEventTypeName("user.login"));
  EXPECT_TRUE(IsValidEventTypeName("billing.subscription.updated"));
  EXPECT_FALSE(IsValidEventTypeName("user"));
  EXPECT_FALSE(IsValidEventTypeName("User.Login"));
  EXPECT_FALSE(IsValidEventTypeName("user..login"));
  EXPECT_FALSE(IsValidEventTypeName("user.*"));
  EXPECT_EQ(EventCategory("billing.payment_failed"), "billing");
}

TEST(EventTypesTest, Matching) {
  EXPECT_TRUE(EventTypeMatches("user.login", "user.login"));
  EXPECT_FALSE(EventTypeMatches("user.login", "user.logout"));
  EXPECT_TRUE(EventTypeMatches("user.*", "user.login"));
  EXPECT_FALSE(EventTypeMatches("user.*", "users.login"));
  EXPECT_FALSE(EventTypeMatches("user.*", "user"));
  EXPECT_TRUE(EventTypeMatches("billing.*", "billing.subscription.updated"));
  EXPECT_TRUE(EventTypeMatches("billing.subscription.*", "billing.subscription.updated"));
  EXPECT_FALSE(EventTypeMatches("billing.subscription.*", "billing.payment_failed"));
  EXPECT_TRUE(AnyEventTypeMatches({"mfa.*", "user.login"}, "user.login"));
  EXPECT_FALSE(AnyEventTypeMatches({}, "user.login"));
}

TEST(EventTypesTest, Subscriptions) {
  EXPECT_TRUE(ValidateSubscriptions({"user.login", "billing.*"}, kCatalog).ok());
  absl::Status empty = ValidateSubscriptions({}, kCatalog);
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(empty.message(), "at least one"));
  absl::Status unknown = ValidateSubscriptions({"user.login", "user.teleported"}, kCatalog);
  EXPECT_TRUE(absl::StrContains(unknown.message(), "unknown event type \"user.teleported\""));
  EXPECT_FALSE(ValidateSubscriptions({"mfa.*"}, kCatalog).ok());
  EXPECT_FALSE(ValidateSubscriptions({"*"}, kCatalog).ok());
  absl::Status bad = ValidateSubscriptions({"User Login"}, kCatalog);
  EXPECT_TRUE(absl::StrContains(bad.message(), "not an event type"));
  EXPECT_FALSE(ValidateSubscriptions(std::vector<std::string>(101, "user.login"), kCatalog).ok());
}

}  // namespace
}  // namespace argus
