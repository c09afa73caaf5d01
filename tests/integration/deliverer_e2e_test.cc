// The deliverer end to end: all binaries as processes, a real HTTPS receiver
// with a test CA on loopback, signatures checked independently.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/e2e_fixture.h"
#include "tests/support/service_harness.h"

namespace argus {
namespace {

namespace v1 = ::argus::webhooks::v1;

using testing::E2eTest;
using testing::HttpsReceiver;
using testing::ReceivedRequest;
using testing::Reply;
using testing::ServiceHarness;
using testing::VerifySignatures;

using DelivererE2eTest = E2eTest;

TEST_F(DelivererE2eTest, NativeDeliveryCarriesTheEnvelopeAndThreeSignatures) {
  StartSuite();
  auto ep = CreateEndpoint(receiver_.Url("/native"), {"user.*"});
  std::string event = Publish("user.login", R"({"userId": "u1", "ip": "203.0.113.7"})");
  ASSERT_TRUE(receiver_.WaitFor("/native", 1, absl::Seconds(15)));
  ReceivedRequest r = receiver_.Received("/native")[0];

  EXPECT_EQ(r.headers["content-type"], "application/json");
  EXPECT_EQ(r.headers["user-agent"], "Argus-Webhooks/1");
  EXPECT_EQ(r.headers["argus-event"], "user.login");
  EXPECT_EQ(r.headers["argus-delivery"], event);
  EXPECT_EQ(r.headers["webhook-id"], event);
  EXPECT_EQ(r.headers["x-team"], "soc");
  EXPECT_EQ(VerifySignatures(r, ep.secret), "");
  EXPECT_NE(VerifySignatures(r, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "");

  nlohmann::json body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["id"], event);
  EXPECT_EQ(body["type"], "user.login");
  EXPECT_EQ(body["org"], "acme");
  EXPECT_TRUE(body["project"].is_null());
  EXPECT_TRUE(body["created"].is_number_integer());
  EXPECT_TRUE(absl::EndsWith(body["timestamp"].get<std::string>(), "Z"));
  EXPECT_EQ(body["data"]["ip"], "203.0.113.7");
  EXPECT_TRUE(absl::StrContains(r.body, R"("data":{"userId": "u1", "ip": "203.0.113.7"})"))
      << "data must go out byte for byte";
  ASSERT_TRUE(WaitForState(event, ep.id, "3", absl::Seconds(10)));
}

TEST_F(DelivererE2eTest, SlackAndDiscordBodiesCarryNoSignature) {
  StartSuite();
  auto slack = CreateEndpoint(receiver_.Url("/slack"), {"api_key.*"}, {}, v1::SLACK);
  auto discord = CreateEndpoint(receiver_.Url("/discord"), {"api_key.*"}, {}, v1::DISCORD);
  EXPECT_TRUE(slack.secret.empty());
  Publish("api_key.created", R"({"name": "ci-upload", "projectName": "MyGame"})");
  ASSERT_TRUE(receiver_.WaitFor("/slack", 1, absl::Seconds(15)));
  ASSERT_TRUE(receiver_.WaitFor("/discord", 1, absl::Seconds(15)));
  for (const char* path : {"/slack", "/discord"}) {
    ReceivedRequest r = receiver_.Received(path)[0];
    for (const char* h : {"argus-signature", "webhook-signature", "x-argus-signature"}) {
      EXPECT_EQ(r.headers.count(h), 0u) << path << " " << h;
    }
  }
  nlohmann::json s = nlohmann::json::parse(receiver_.Received("/slack")[0].body);
  EXPECT_EQ(s["text"], ":key: API key created: `ci-upload` in *MyGame*");
  EXPECT_EQ(s["blocks"][0]["text"]["text"], s["text"]);
  nlohmann::json d = nlohmann::json::parse(receiver_.Received("/discord")[0].body);
  EXPECT_EQ(d["content"], ":key: API key created: `ci-upload` in **MyGame**");
  EXPECT_EQ(d["embeds"][0]["title"], "api_key.created");
}

TEST_F(DelivererE2eTest, FailuresAreRetriedOnTheSchedule) {
  StartSuite();
  receiver_.Script("/flaky", {{.status = 500}, {.status = 500}, {.status = 200}});
  auto ep = CreateEndpoint(receiver_.Url("/flaky"), {"user.*"}, {"0.5s", "0.5s", "0.5s"});
  std::string event = Publish("user.login");
  ASSERT_TRUE(WaitForState(event, ep.id, "3", absl::Seconds(20)));
  std::vector<ReceivedRequest> got = receiver_.Received("/flaky");
  ASSERT_EQ(got.size(), 3u);
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_GE(got[i].at - got[i - 1].at, absl::Milliseconds(450)) << i;  // 0.5 s − 10% jitter
    EXPECT_EQ(got[i].headers["argus-delivery"], event);
    nlohmann::json b = nlohmann::json::parse(got[i].body);
    EXPECT_EQ(b["id"], event);
  }
  EXPECT_EQ(Sql(absl::StrCat("SELECT string_agg(status_code::text, ',' ORDER BY attempt) FROM "
                             "delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
                             "WHERE d.event_id = '",
                             event, "'")),
            "500,500,200");
}

TEST_F(DelivererE2eTest, LastRetryFailsTheDelivery) {
  StartSuite();
  receiver_.Script("/down", {{.status = 503, .body = "maintenance"}});
  auto ep = CreateEndpoint(receiver_.Url("/down"), {"user.*"}, {"0.2s"});
  std::string event = Publish("user.login");
  ASSERT_TRUE(WaitForState(event, ep.id, "4", absl::Seconds(20)));
  EXPECT_EQ(receiver_.Count("/down"), 2u);
}

TEST_F(DelivererE2eTest, GoneDisablesTheEndpoint) {
  StartSuite();
  receiver_.Script("/gone", {{.status = 410}});
  auto ep = CreateEndpoint(receiver_.Url("/gone"), {"user.*"});
  std::string event = Publish("user.login");
  ASSERT_TRUE(WaitForState(event, ep.id, "4", absl::Seconds(15)));
  EXPECT_EQ(receiver_.Count("/gone"), 1u);
  v1::GetEndpointRequest get;
  get.set_id(ep.id);
  v1::Endpoint e;
  ASSERT_TRUE(suite_->registry()
                  .GetEndpoint(ServiceHarness::Context(suite_->admin_token()).get(), get, &e)
                  .ok());
  EXPECT_EQ(e.state(), v1::DISABLED);
  EXPECT_TRUE(absl::StrContains(e.disabled_reason(), "410")) << e.disabled_reason();
  EXPECT_EQ(e.last_delivery().status_code(), 410);
  // A disabled endpoint gets no new deliveries.
  v1::PublishRequest req;
  req.set_type("user.login");
  v1::PublishResponse resp;
  ASSERT_TRUE(suite_->ingest()
                  .Publish(ServiceHarness::Context(suite_->publish_token()).get(), req, &resp)
                  .ok());
  EXPECT_EQ(resp.fanout(), 0);
}

TEST_F(DelivererE2eTest, RetryAfterIsHonoured) {
  StartSuite();
  receiver_.Script("/busy", {{.status = 429, .headers = {{"Retry-After", "2"}}}, {.status = 200}});
  auto ep = CreateEndpoint(receiver_.Url("/busy"), {"user.*"}, {"0.1s"});
  std::string event = Publish("user.login");
  ASSERT_TRUE(WaitForState(event, ep.id, "3", absl::Seconds(20)));
  std::vector<ReceivedRequest> got = receiver_.Received("/busy");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_GE(got[1].at - got[0].at, absl::Milliseconds(1900));
}

TEST_F(DelivererE2eTest, HangingReceiverTimesOut) {
  StartSuite(1, {"--request_timeout", "1s"});
  receiver_.Script("/hang", {{.hang = true}});
  auto ep = CreateEndpoint(receiver_.Url("/hang"), {"user.*"}, {});
  std::string event = Publish("user.login");
  ASSERT_TRUE(WaitUntil([&] { return Sql("SELECT count(*) FROM delivery_attempts") == "1"; },
                        absl::Seconds(15)));
  EXPECT_EQ(Sql("SELECT error FROM delivery_attempts"), "timeout");
  EXPECT_EQ(Sql("SELECT status_code FROM delivery_attempts"), "0");
  EXPECT_EQ(DeliveryState(event, ep.id), "1");  // retry scheduled (default: in a minute)
}

TEST_F(DelivererE2eTest, DnsFailureIsRecordedAndNotRetried) {
  StartSuite();
  auto ep = CreateEndpoint("https://does-not-exist.invalid/", {"user.*"}, {"0.1s", "0.1s"});
  std::string event = Publish("user.login");
  ASSERT_TRUE(WaitForState(event, ep.id, "4", absl::Seconds(20)));
  EXPECT_EQ(Sql("SELECT count(*) || ':' || min(error) FROM delivery_attempts"), "1:dns");
}

TEST_F(DelivererE2eTest, RedirectIsAFailureAndIsNotFollowed) {
  StartSuite();
  receiver_.Script("/moved", {{.status = 302, .headers = {{"Location", "/elsewhere"}}}});
  auto ep = CreateEndpoint(receiver_.Url("/moved"), {"user.*"}, {"0.1s"});
  std::string event = Publish("user.login");
  ASSERT_TRUE(WaitForState(event, ep.id, "4", absl::Seconds(20)));
  EXPECT_EQ(receiver_.Count("/moved"), 2u);
  EXPECT_EQ(receiver_.Count("/elsewhere"), 0u);
  EXPECT_EQ(Sql("SELECT min(status_code) FROM delivery_attempts"), "302");
}

TEST_F(DelivererE2eTest, AttemptsAreRecordedWithBodiesCutAt1KiB) {
  StartSuite();
  std::string big(5 * 1024, 'x');
  big.replace(0, 5, "start");
  receiver_.Script("/big", {{.status = 400, .body = big}, {.status = 200}});
  auto ep = CreateEndpoint(receiver_.Url("/big"), {"user.*"}, {"0.1s"});
  std::string event = Publish("user.login");
  ASSERT_TRUE(WaitForState(event, ep.id, "3", absl::Seconds(20)));
  std::string row = Sql(
      "SELECT attempt || '|' || status_code || '|' || error || '|' || length(response_body) || '|' "
      "|| left(response_body, 5) || '|' || (duration_us > 0) FROM delivery_attempts "
      "ORDER BY attempt LIMIT 1");
  EXPECT_EQ(row, "1|400||1024|start|true");
  EXPECT_EQ(Sql("SELECT request_headers->>'argus-event' FROM delivery_attempts LIMIT 1"),
            "user.login");
  EXPECT_EQ(Sql("SELECT request_headers->>'x-team' FROM delivery_attempts LIMIT 1"), "[redacted]");
  EXPECT_EQ(Sql("SELECT count(*) FROM delivery_attempts WHERE request_headers ? 'argus-signature'"),
            "0");
  EXPECT_EQ(Sql("SELECT last_status_code FROM endpoints"), "200");
}

TEST_F(DelivererE2eTest, MetricsCountWhatTheReceiverSaw) {
  StartSuite();
  receiver_.Script("/m", {{.status = 500}, {.status = 200}});
  auto ep = CreateEndpoint(receiver_.Url("/m"), {"user.*"}, {"0.1s"});
  std::vector<std::string> events;
  for (int i = 0; i < 5; ++i) events.push_back(Publish("user.login"));
  for (const auto& e : events) ASSERT_TRUE(WaitForState(e, ep.id, "3", absl::Seconds(20)));
  size_t seen = receiver_.Count("/m");
  ASSERT_EQ(seen, 6u);  // one 500, then five 200s
  std::string m = suite_->DelivererMetrics(0);
  EXPECT_TRUE(absl::StrContains(
      m, "argus_webhook_delivery_attempts_total{format=\"native\",result=\"success\"} 5"))
      << m;
  EXPECT_TRUE(absl::StrContains(
      m, "argus_webhook_delivery_attempts_total{format=\"native\",result=\"http_error\"} 1"));
  EXPECT_TRUE(
      absl::StrContains(m, "argus_webhook_deliveries_finished_total{outcome=\"succeeded\"} 5"));
  EXPECT_TRUE(absl::StrContains(m, "argus_webhook_attempt_duration_seconds_count 6"));
  EXPECT_TRUE(absl::StrContains(m, "argus_webhook_end_to_end_seconds_count 5"));
  EXPECT_TRUE(absl::StrContains(m, "argus_webhook_queue_depth{state=\"pending\"}"));
  EXPECT_TRUE(absl::StrContains(m, "argus_webhook_inflight"));
}

TEST_F(DelivererE2eTest, PrivateAddressIsRefusedAtConnectTime) {
  StartSuite();
  // A deliverer with the default policy: no private targets at all.
  int strict = suite_->StartDeliverer({"--allowed_target_cidrs", ""});
  // Only the strict one may claim: stop the permissive one first.
  suite_->deliverer(0).Signal(SIGTERM);
  ASSERT_EQ(suite_->deliverer(0).Wait(absl::Seconds(20)), 0);
  auto ep = CreateEndpoint("https://public.example.com/hook", {"user.*"});
  // The name that was public at registration now resolves to loopback
  // (DNS rebinding): the address dialled is what gets checked.
  Sql(absl::StrCat("UPDATE endpoints SET url = 'https://localhost:", receiver_.port(),
                   "/rebound' WHERE id = '", ep.id, "' RETURNING 1"));
  std::string event = Publish("user.login");
  ASSERT_TRUE(WaitForState(event, ep.id, "4", absl::Seconds(20)));
  EXPECT_EQ(Sql("SELECT error FROM delivery_attempts"), "ssrf_blocked");
  EXPECT_TRUE(absl::StrContains(Sql("SELECT response_body FROM delivery_attempts"), "loopback"));
  EXPECT_EQ(receiver_.Count("/rebound"), 0u);
  EXPECT_TRUE(absl::StrContains(
      suite_->DelivererMetrics(strict),
      "argus_webhook_delivery_attempts_total{format=\"native\",result=\"ssrf_blocked\"} 1"));
}

TEST_F(DelivererE2eTest, SigtermDrainsAndExitsZero) {
  StartSuite();
  receiver_.Script("/slow", {{.hang = true}});
  auto ep = CreateEndpoint(receiver_.Url("/slow"), {"user.*"}, {});
  std::string event = Publish("user.login");
  ASSERT_TRUE(receiver_.WaitFor("/slow", 1, absl::Seconds(15)));
  suite_->deliverer(0).Signal(SIGTERM);
  // It finishes what it holds (the request times out after 2 s) and exits 0.
  std::optional<int> code = suite_->deliverer(0).Wait(absl::Seconds(20));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM delivery_attempts"), "1");
  EXPECT_EQ(DeliveryState(event, ep.id), "1");  // retry scheduled, not lost, lease released
  EXPECT_EQ(Sql("SELECT count(*) FROM delivery_queue WHERE lease_owner IS NOT NULL"), "0");
  EXPECT_TRUE(absl::StrContains(suite_->deliverer(0).Stderr(), "msg=stopped"));
}

}  // namespace
}  // namespace argus
