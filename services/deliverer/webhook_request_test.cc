#include "services/deliverer/webhook_request.h"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/sealed_headers.h"

namespace argus {
namespace {

constexpr char kKey[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr char kOldSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kNewSecret[] = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

// HMAC-SHA256 in hex, with OpenSSL directly: not through our signer.
std::string HmacHex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) absl::StrAppend(&hex, absl::Hex(mac[i], absl::kZeroPad2));
  return hex;
}

std::map<std::string, std::string> Headers(const HttpRequest& req) {
  std::map<std::string, std::string> out;
  for (const std::string& h : req.headers) {
    std::pair<std::string, std::string> kv = absl::StrSplit(h, absl::MaxSplits(": ", 1));
    out[kv.first] = kv.second;
  }
  return out;
}

class WebhookRequestTest : public testing::Test {
 protected:
  WebhookRequestTest() : box_(*SecretBox::FromBase64Key(kKey)) {
    d_.delivery_id = "d1";
    d_.endpoint_id = "ep1";
    ep_.id = "ep1";
    ep_.url = "https://receiver.example.com/hook";
    d_.event = {.id = "ev1",
                .type = "build.failed",
                .org = "acme",
                .created = absl::FromUnixSeconds(1'700'000'000),
                .data_json = R"({"n":1})"};
  }
  WebhookRequest Build() {
    d_.endpoint = std::make_shared<EndpointConfig>(ep_);
    return BuildWebhookRequest(d_, box_, now_);
  }
  SecretBox box_;
  EndpointConfig ep_;
  ClaimedDelivery d_;
  absl::Time now_ = absl::FromUnixSeconds(1'700'000'123);
};

TEST_F(WebhookRequestTest, SignsWithEveryLiveSecretDuringARotation) {
  ep_.secrets = {{box_.Seal(kNewSecret, "ep1")}, {box_.Seal(kOldSecret, "ep1")}};
  WebhookRequest req = Build();
  ASSERT_TRUE(req.error.empty()) << req.error;
  std::map<std::string, std::string> h = Headers(req.http);
  EXPECT_EQ(h["argus-signature"],
            absl::StrCat("t=1700000123,v1=", HmacHex(kNewSecret, "1700000123." + req.http.body),
                         ",v1=", HmacHex(kOldSecret, "1700000123." + req.http.body)));
  EXPECT_EQ(h["webhook-timestamp"], "1700000123");
  EXPECT_EQ(h["webhook-id"], "ev1");
  std::vector<std::string> standard = absl::StrSplit(h["webhook-signature"], ' ');
  EXPECT_EQ(standard.size(), 2u);
  EXPECT_EQ(h["x-argus-signature"].find("sha256="), 0u);
  EXPECT_EQ(h["argus-delivery"], "ev1");
  EXPECT_EQ(h["argus-event"], "build.failed");
  // The log keeps no signature.
  EXPECT_EQ(req.logged_headers.count("argus-signature"), 0u);
  EXPECT_EQ(req.logged_headers["webhook-id"], "ev1");
}

// The cache keeps a rotated-out secret until its grace period ends: from
// then on it is not signed with.
TEST_F(WebhookRequestTest, ASecretPastItsGracePeriodIsNotSignedWith) {
  ep_.secrets = {{box_.Seal(kNewSecret, "ep1")}, {box_.Seal(kOldSecret, "ep1"), now_}};
  WebhookRequest req = Build();
  ASSERT_TRUE(req.error.empty()) << req.error;
  EXPECT_EQ(Headers(req.http)["argus-signature"],
            absl::StrCat("t=1700000123,v1=", HmacHex(kNewSecret, "1700000123." + req.http.body)));
}

TEST_F(WebhookRequestTest, CustomHeadersAreSentButNeverLogged) {
  ep_.secrets = {{box_.Seal(kNewSecret, "ep1")}};
  ep_.sealed_headers =
      SealHeaders(box_, {{"authorization", "Bearer s3cret"}, {"x-empty", ""}}, "ep1");
  WebhookRequest req = Build();
  ASSERT_TRUE(req.error.empty());
  EXPECT_NE(
      std::find(req.http.headers.begin(), req.http.headers.end(), "authorization: Bearer s3cret"),
      req.http.headers.end());
  EXPECT_NE(std::find(req.http.headers.begin(), req.http.headers.end(), "x-empty;"),
            req.http.headers.end());
  EXPECT_EQ(req.logged_headers["authorization"], "[redacted]");
  EXPECT_EQ(req.logged_headers["x-empty"], "");
}

TEST_F(WebhookRequestTest, AnOrderedDeliveryCarriesItsSequenceInHeaderAndBody) {
  ep_.secrets = {{box_.Seal(kNewSecret, "ep1")}};
  EXPECT_EQ(Headers(Build().http).count("argus-sequence"), 0u);
  d_.event.sequence = 7;
  WebhookRequest req = Build();
  EXPECT_EQ(Headers(req.http)["argus-sequence"], "7");
  EXPECT_EQ(req.logged_headers["argus-sequence"], "7");
  EXPECT_TRUE(absl::StrContains(req.http.body, "\"sequence\":7,")) << req.http.body;
}

TEST_F(WebhookRequestTest, ChatFormatsAreNotSigned) {
  ep_.format = Format::kSlack;
  WebhookRequest req = Build();
  ASSERT_TRUE(req.error.empty());
  EXPECT_EQ(Headers(req.http).count("webhook-signature"), 0u);
  EXPECT_TRUE(absl::StrContains(req.http.body, "\"text\""));
}

TEST_F(WebhookRequestTest, AKeyThatOpensNoSecretIsAnErrorNotAnUnsignedRequest) {
  SecretBox other = *SecretBox::FromBase64Key("HxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=");
  ep_.secrets = {{other.Seal(kNewSecret, "ep1")}};
  EXPECT_EQ(Build().error, "no usable signing secret (check --secret_key)");
  ep_.secrets = {{box_.Seal(kNewSecret, "ep1")}};
  ep_.sealed_headers = SealHeaders(other, {{"authorization", "x"}}, "ep1");
  EXPECT_FALSE(Build().error.empty());
}

}  // namespace
}  // namespace argus
