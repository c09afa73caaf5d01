#include "services/argusctl/webhook_check.h"

#include <gtest/gtest.h>

#include "common/signing.h"

namespace argus {
namespace {

constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr int64_t kNow = 1714742400;
const std::string kBody = R"({"id":"e1","type":"user.login","data":{}})";

std::map<std::string, std::string> Signed(const std::vector<std::string>& secrets, int64_t t) {
  absl::StatusOr<SignatureHeaders> s = SignNative(kBody, "e1", t, secrets);
  EXPECT_TRUE(s.ok());
  return {{"argus-signature", s->argus_signature},
          {"webhook-id", s->webhook_id},
          {"webhook-timestamp", s->webhook_timestamp},
          {"webhook-signature", s->webhook_signature},
          {"x-argus-signature", s->x_argus_signature}};
}

TEST(WebhookCheckTest, AllThreeVerifyWithTheSecret) {
  std::vector<SchemeCheck> checks = CheckSignatures(Signed({kSecret}, kNow), kBody, kSecret, kNow);
  ASSERT_EQ(checks.size(), 3u);
  for (const SchemeCheck& c : checks) EXPECT_TRUE(c.ok) << c.header << ": " << c.why;
}

TEST(WebhookCheckTest, EitherSecretOfARotationVerifies) {
  const std::string other = "whsec_b3RoZXItc2VjcmV0LW9mLTMyLWJ5dGVzLWxvbmcu";
  for (const SchemeCheck& c :
       CheckSignatures(Signed({other, kSecret}, kNow), kBody, kSecret, kNow)) {
    EXPECT_TRUE(c.ok) << c.header << ": " << c.why;
  }
}

TEST(WebhookCheckTest, ATamperedBodyAWrongSecretOrAStaleTimestampFails) {
  auto headers = Signed({kSecret}, kNow);
  for (const SchemeCheck& c : CheckSignatures(headers, kBody + " ", kSecret, kNow)) {
    EXPECT_FALSE(c.ok) << c.header;
  }
  for (const SchemeCheck& c :
       CheckSignatures(headers, kBody, "whsec_d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0xMjM=", kNow)) {
    EXPECT_FALSE(c.ok) << c.header;
  }
  std::vector<SchemeCheck> stale = CheckSignatures(headers, kBody, kSecret, kNow + 600);
  EXPECT_FALSE(stale[0].ok);
  EXPECT_FALSE(stale[1].ok);
  EXPECT_TRUE(stale[2].ok) << "x-argus-signature carries no timestamp";
  EXPECT_EQ(CheckSignatures({}, kBody, kSecret, kNow)[0].why, "missing");
  EXPECT_TRUE(CheckSignatures(headers, kBody, "", kNow).empty());
}

}  // namespace
}  // namespace argus
