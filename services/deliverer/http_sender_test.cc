// HttpSender's trust over real TLS on loopback: the one CA store every
// connection shares holds --ca_bundle's CAs, and nothing else is trusted.
#include "services/deliverer/http_sender.h"

#include <gtest/gtest.h>

#include <future>

#include "tests/support/https_receiver.h"

namespace argus {
namespace {

using ::argus::testing::HttpsReceiver;
using ::argus::testing::TestCa;

HttpResult SendOnce(HttpSender& sender, const std::string& url) {
  std::promise<HttpResult> answered;
  sender.Send({.url = url, .body = "{}", .timeout = absl::Seconds(10)},
              [&](HttpResult r) { answered.set_value(std::move(r)); });
  return answered.get_future().get();
}

TEST(HttpSenderTrust, AReceiverSignedByTheCaBundleIsTrustedOnEveryConnection) {
  TestCa ca;
  HttpsReceiver receiver(ca);
  auto sender = HttpSender::Create({.policy = {.allow_insecure = true}, .ca_bundle = ca.ca_cert()});
  ASSERT_TRUE(sender.ok()) << sender.status();
  // Two paths, so the second request may take a new connection: both
  // verify against the same shared store.
  for (const char* path : {"/a", "/b"}) {
    HttpResult r = SendOnce(**sender, receiver.Url(path));
    EXPECT_EQ(r.error, AttemptError::kNone) << r.body;
    EXPECT_EQ(r.status_code, 200);
  }
}

TEST(HttpSenderTrust, AReceiverSignedByAnotherCaIsRefusedAsTls) {
  TestCa ca;
  TestCa other;
  HttpsReceiver receiver(ca);
  for (const std::string& bundle : {std::string(), other.ca_cert()}) {
    auto sender = HttpSender::Create({.policy = {.allow_insecure = true}, .ca_bundle = bundle});
    ASSERT_TRUE(sender.ok()) << sender.status();
    HttpResult r = SendOnce(**sender, receiver.Url("/x"));
    EXPECT_EQ(r.error, AttemptError::kTls) << "bundle '" << bundle << "': " << r.body;
    EXPECT_EQ(r.status_code, 0);
    EXPECT_EQ(receiver.Count("/x"), 0u);
  }
}

TEST(HttpSenderTrust, ACaBundleWithoutCertificatesIsRefusedAtStart) {
  TestCa ca;
  auto sender =
      HttpSender::Create({.policy = {.allow_insecure = true}, .ca_bundle = ca.server_key()});
  ASSERT_FALSE(sender.ok());
  EXPECT_NE(sender.status().message().find("no PEM certificates"), std::string::npos)
      << sender.status();
}

}  // namespace
}  // namespace argus
