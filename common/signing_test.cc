#include "common/signing.h"

#include <gtest/gtest.h>

#include "absl/strings/str_split.h"
#include "common/crypto.h"

namespace argus {
namespace {

// The test vector of the Standard Webhooks specification.
TEST(SigningTest, StandardWebhooksSpecVector) {
  absl::StatusOr<std::string> sig = StandardWebhookSignature(
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
      R"({"test": 2432232314})");
  ASSERT_TRUE(sig.ok()) << sig.status();
  EXPECT_EQ(*sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(SigningTest, AllThreeSchemesOverTheExactBody) {
  const std::string secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  const std::string body = R"({"id":"e1","type":"user.login"})";
  absl::StatusOr<SignatureHeaders> h = SignNative(body, "e1", 1714742400, {secret});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->argus_signature,
            "t=1714742400,v1=" + HexEncode(HmacSha256(secret, "1714742400." + body)));
  EXPECT_EQ(h->x_argus_signature, "sha256=" + HexEncode(HmacSha256(secret, body)));
  EXPECT_EQ(h->webhook_id, "e1");
  EXPECT_EQ(h->webhook_timestamp, "1714742400");
  EXPECT_EQ(h->webhook_signature, *StandardWebhookSignature(secret, "e1", 1714742400, body));
}

TEST(SigningTest, OneSignaturePerLiveSecretDuringRotation) {
  std::vector<std::string> secrets = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                                      "whsec_c2Vjb25kLXNlY3JldC0zMi1ieXRlcy1sb25nISE="};
  absl::StatusOr<SignatureHeaders> h = SignNative("{}", "e1", 1, secrets);
  ASSERT_TRUE(h.ok());
  std::vector<std::string> argus = absl::StrSplit(h->argus_signature, ',');
  ASSERT_EQ(argus.size(), 3u);
  EXPECT_EQ(argus[1], "v1=" + HexEncode(HmacSha256(secrets[0], "1.{}")));
  EXPECT_EQ(argus[2], "v1=" + HexEncode(HmacSha256(secrets[1], "1.{}")));
  std::vector<std::string> standard = absl::StrSplit(h->webhook_signature, ' ');
  ASSERT_EQ(standard.size(), 2u);
  EXPECT_EQ(standard[1], *StandardWebhookSignature(secrets[1], "e1", 1, "{}"));
  std::vector<std::string> plain = absl::StrSplit(h->x_argus_signature, ',');
  EXPECT_EQ(plain.size(), 2u);
}

TEST(SigningTest, RefusesMalformedSecrets) {
  EXPECT_FALSE(SignNative("{}", "e1", 1, {}).ok());
  EXPECT_FALSE(SignNative("{}", "e1", 1, {"plain-secret"}).ok());
  EXPECT_FALSE(SignNative("{}", "e1", 1, {"whsec_!!!"}).ok());
}

}  // namespace
}  // namespace argus
