#include "common/secret_box.h"

#include <gtest/gtest.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "common/crypto.h"

namespace argus {
namespace {

SecretBox MakeBox() { return *SecretBox::FromBase64Key(absl::Base64Escape(std::string(32, 'k'))); }

TEST(SecretBoxTest, SealOpenRoundTrip) {
  SecretBox box = MakeBox();
  std::string sealed = box.Seal("whsec_abc", "endpoint-1");
  EXPECT_EQ(sealed.find("whsec_abc"), std::string::npos);
  EXPECT_EQ(*box.Open(sealed, "endpoint-1"), "whsec_abc");
}

TEST(SecretBoxTest, SealingTwiceGivesDifferentCiphertexts) {
  SecretBox box = MakeBox();
  EXPECT_NE(box.Seal("x", "a"), box.Seal("x", "a"));
}

TEST(SecretBoxTest, WrongAadOrTamperingIsDataLoss) {
  SecretBox box = MakeBox();
  std::string sealed = box.Seal("whsec_abc", "endpoint-1");
  EXPECT_EQ(box.Open(sealed, "endpoint-2").status().code(), absl::StatusCode::kDataLoss);
  sealed[14] ^= 1;
  EXPECT_EQ(box.Open(sealed, "endpoint-1").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(box.Open("short", "endpoint-1").status().code(), absl::StatusCode::kDataLoss);
}

TEST(SecretBoxTest, WrongKeyIsDataLoss) {
  std::string sealed = MakeBox().Seal("whsec_abc", "e");
  SecretBox other = *SecretBox::FromBase64Key(absl::Base64Escape(std::string(32, 'z')));
  EXPECT_EQ(other.Open(sealed, "e").status().code(), absl::StatusCode::kDataLoss);
}

TEST(SecretBoxTest, RejectsKeysThatAreNot32Bytes) {
  auto short_key = SecretBox::FromBase64Key(absl::Base64Escape(std::string(16, 'k')));
  EXPECT_EQ(short_key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(short_key.status().message(), "32 bytes"));
  EXPECT_FALSE(SecretBox::FromBase64Key("not base64!").ok());
}

TEST(SecretBoxTest, SigningSecretShape) {
  std::string secret = GenerateSigningSecret();
  ASSERT_TRUE(absl::StartsWith(secret, "whsec_"));
  std::string raw;
  ASSERT_TRUE(absl::Base64Unescape(secret.substr(6), &raw));
  EXPECT_EQ(raw.size(), 32u);
  EXPECT_NE(secret, GenerateSigningSecret());
}

}  // namespace
}  // namespace argus
