// HttpSender over real TLS on loopback: the one CA store every connection
// shares holds --ca_bundle's CAs, and nothing else is trusted; a reused
// libcurl handle sends only its own request.
#include "services/deliverer/http_sender.h"

#include <gtest/gtest.h>

#include <future>

#include "tests/support/https_receiver.h"

namespace argus {
namespace {

using ::argus::testing::HttpsReceiver;
using ::argus::testing::TestCa;

HttpResult Send(HttpSender& sender, HttpRequest request) {
  std::promise<HttpResult> answered;
  sender.Send(std::move(request), [&](HttpResult r) { answered.set_value(std::move(r)); });
  return answered.get_future().get();
}

HttpResult SendOnce(HttpSender& sender, const std::string& url) {
  return Send(sender, {.url = url, .body = "{}", .timeout = absl::Seconds(10)});
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

TEST(HttpSenderReuse, ATransferOnAReusedHandleSendsOnlyItsOwnRequest) {
  TestCa ca;
  HttpsReceiver receiver(ca);
  receiver.Script("/first", {{.status = 500, .headers = {{"Retry-After", "7"}}}});
  auto sender = HttpSender::Create({.policy = {.allow_insecure = true}, .ca_bundle = ca.ca_cert()});
  ASSERT_TRUE(sender.ok()) << sender.status();
  HttpResult first = Send(**sender, {.url = receiver.Url("/first"),
                                     .headers = {"x-first: 1", "x-shared: first"},
                                     .body = R"({"n":"a longer first body"})"});
  EXPECT_EQ(first.status_code, 500);
  EXPECT_EQ(first.retry_after, "7");
  // One transfer at a time, so the second takes the first's handle.
  HttpResult second =
      Send(**sender,
           {.url = receiver.Url("/second"), .headers = {"x-shared: second"}, .body = R"({"n":2})"});
  EXPECT_EQ(second.status_code, 200);
  EXPECT_EQ(second.retry_after, std::nullopt);
  EXPECT_EQ(second.body, "ok");
  std::vector<testing::ReceivedRequest> got = receiver.Received("/second");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body, R"({"n":2})");
  EXPECT_EQ(got[0].headers["x-shared"], "second");
  EXPECT_FALSE(got[0].headers.contains("x-first"));
  EXPECT_FALSE(got[0].headers.contains("expect"));
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
