// The registry's delivery log, replay, stats, rotation, auto-disable and test
// pings against the running services (all processes, real HTTPS receiver).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/support/e2e_fixture.h"
#include "tests/support/service_harness.h"

namespace argus {
namespace {

namespace v1 = ::argus::webhooks::v1;
using testing::E2eTest;
using testing::Reply;
using testing::ServiceHarness;
using testing::VerifySignatures;

class DeliveryLogE2eTest : public E2eTest {
 protected:
  std::unique_ptr<grpc::ClientContext> Admin() {
    return ServiceHarness::Context(suite_->admin_token());
  }
  v1::ListDeliveriesResponse List(const std::string& endpoint_id, v1::DeliveryStatus status = {}) {
    v1::ListDeliveriesRequest req;
    req.set_endpoint_id(endpoint_id);
    req.set_status(status);
    v1::ListDeliveriesResponse resp;
    grpc::Status s = suite_->registry().ListDeliveries(Admin().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  v1::Delivery Get(const std::string& id) {
    v1::GetDeliveryRequest req;
    req.set_id(id);
    v1::Delivery resp;
    grpc::Status s = suite_->registry().GetDelivery(Admin().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  v1::EndpointStats Stats(const std::string& endpoint_id) {
    v1::GetEndpointStatsRequest req;
    req.set_endpoint_id(endpoint_id);
    v1::EndpointStats resp;
    grpc::Status s = suite_->registry().GetEndpointStats(Admin().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }
  bool AllFinished() { return Sql("SELECT count(*) FROM deliveries WHERE state IN (1, 2)") == "0"; }
};

TEST_F(DeliveryLogE2eTest, LogStatsAndListShowWhatTheReceiverSaw) {
  StartSuite();
  std::string big = "start" + std::string(5000, 'b');
  receiver_.Script("/flaky", {{.status = 500, .body = big}, {.status = 200, .body = "thanks"}});
  receiver_.Script("/broken", {{.status = 404, .body = "no such hook"}});
  auto flaky = CreateEndpoint(receiver_.Url("/flaky"), {"user.*"}, {"0.1s"});
  auto broken = CreateEndpoint(receiver_.Url("/broken"), {"mfa.*"}, {"0.1s"});
  std::string first = Publish("user.login");  // 500 then 200
  // The script answers in arrival order: the second event goes out only
  // once the first has had both its replies.
  ASSERT_TRUE(WaitForState(first, flaky.id, "3", absl::Seconds(15)));
  std::string second = Publish("user.login");  // 200
  std::string third = Publish("mfa.enabled");  // 404, 404: failed
  ASSERT_TRUE(WaitUntil([&] { return AllFinished(); }, absl::Seconds(20)));

  v1::ListDeliveriesResponse listed = List(flaky.id);
  ASSERT_EQ(listed.deliveries_size(), 2);
  EXPECT_EQ(listed.deliveries(0).event_id(), second);  // newest first
  EXPECT_EQ(listed.deliveries(1).event_id(), first);
  v1::Delivery d = Get(listed.deliveries(1).id());
  EXPECT_EQ(d.status(), v1::SUCCEEDED);
  ASSERT_EQ(d.attempts_size(), 2);
  EXPECT_EQ(d.attempts(0).status_code(), 500);
  EXPECT_EQ(d.attempts(0).response_body(), big.substr(0, 1024));
  EXPECT_EQ(d.attempts(1).status_code(), 200);
  EXPECT_EQ(d.attempts(1).response_body(), "thanks");
  EXPECT_EQ(d.attempts(1).request_headers().at("argus-delivery"), first);
  EXPECT_EQ(d.attempts(1).request_headers().count("argus-signature"), 0u);
  EXPECT_GT(d.attempts(1).duration().nanos() + d.attempts(1).duration().seconds(), 0);
  for (const std::string& text : {listed.DebugString(), d.DebugString()}) {
    EXPECT_FALSE(absl::StrContains(text, flaky.secret));
    EXPECT_FALSE(absl::StrContains(text, "whsec_"));
  }
  EXPECT_EQ(List(broken.id, v1::FAILED).deliveries_size(), 1);
  EXPECT_EQ(List(flaky.id, v1::FAILED).deliveries_size(), 0);

  v1::EndpointStats fs = Stats(flaky.id);
  EXPECT_EQ(fs.attempts(), 3);
  EXPECT_EQ(fs.successes(), 2);
  EXPECT_EQ(fs.failures_by_result().at("http_error"), 1);
  EXPECT_DOUBLE_EQ(fs.success_rate(), 2.0 / 3.0);
  EXPECT_EQ(fs.failed_deliveries(), 0);
  EXPECT_EQ(fs.last_delivery().status_code(), 200);
  v1::EndpointStats bs = Stats(broken.id);
  EXPECT_EQ(bs.attempts(), 2);
  EXPECT_EQ(bs.successes(), 0);
  EXPECT_EQ(bs.failed_deliveries(), 1);
  EXPECT_EQ(bs.pending_deliveries(), 0);
  EXPECT_FALSE(bs.last_delivery().success());

  v1::ListEndpointsResponse endpoints;
  ASSERT_TRUE(suite_->registry().ListEndpoints(Admin().get(), {}, &endpoints).ok());
  std::map<std::string, int> last;
  for (const auto& e : endpoints.endpoints()) last[e.id()] = e.last_delivery().status_code();
  EXPECT_EQ(last[flaky.id], 200);
  EXPECT_EQ(last[broken.id], 404);
}

TEST_F(DeliveryLogE2eTest, RedeliverAndRecoverFailed) {
  StartSuite();
  auto ok = CreateEndpoint(receiver_.Url("/ok"), {"user.*"});
  std::string event = Publish("user.login");
  ASSERT_TRUE(WaitForState(event, ok.id, "3", absl::Seconds(15)));
  v1::RedeliverRequest redeliver;
  redeliver.set_delivery_id(List(ok.id).deliveries(0).id());
  v1::RedeliverResponse redelivered;
  ASSERT_TRUE(suite_->registry().Redeliver(Admin().get(), redeliver, &redelivered).ok());
  ASSERT_TRUE(receiver_.WaitFor("/ok", 2, absl::Seconds(15)));
  auto got = receiver_.Received("/ok");
  EXPECT_EQ(got[1].headers["argus-delivery"], event);
  EXPECT_EQ(nlohmann::json::parse(got[1].body)["id"], event);
  EXPECT_EQ(VerifySignatures(got[1], ok.secret), "");

  receiver_.Script("/down", {{.status = 503}});
  auto down = CreateEndpoint(receiver_.Url("/down"), {"mfa.*"}, {"0.1s"});
  std::vector<std::string> failed;
  for (int i = 0; i < 3; ++i) failed.push_back(Publish("mfa.enabled"));
  for (const auto& e : failed) ASSERT_TRUE(WaitForState(e, down.id, "4", absl::Seconds(15)));
  receiver_.Script("/down", {{.status = 200}});  // the receiver is fixed
  v1::RecoverFailedRequest recover;
  recover.set_endpoint_id(down.id);
  recover.mutable_since()->set_seconds(absl::ToUnixSeconds(absl::Now() - absl::Hours(1)));
  v1::RecoverFailedResponse recovered;
  ASSERT_TRUE(suite_->registry().RecoverFailed(Admin().get(), recover, &recovered).ok());
  EXPECT_EQ(recovered.queued(), 3);
  for (const auto& e : failed) ASSERT_TRUE(WaitForState(e, down.id, "3", absl::Seconds(15)));
  EXPECT_EQ(receiver_.Count("/down"), 9u);  // 2 failed tries each, then 1 success each
}

TEST_F(DeliveryLogE2eTest, RotationSignsWithBothSecretsDuringGraceThenOnlyTheNew) {
  StartSuite();
  auto ep = CreateEndpoint(receiver_.Url("/rotate"), {"user.*"});
  v1::RotateSecretRequest rotate;
  rotate.set_id(ep.id);
  rotate.mutable_grace_period()->set_seconds(3);
  v1::RotateSecretResponse rotated;
  ASSERT_TRUE(suite_->registry().RotateSecret(Admin().get(), rotate, &rotated).ok());
  std::string fresh = rotated.signing_secret();
  ASSERT_TRUE(absl::StartsWith(fresh, "whsec_"));
  EXPECT_NE(fresh, ep.secret);

  Publish("user.login");
  ASSERT_TRUE(receiver_.WaitFor("/rotate", 1, absl::Seconds(15)));
  auto during = receiver_.Received("/rotate")[0];
  EXPECT_EQ(VerifySignatures(during, ep.secret), "");
  EXPECT_EQ(VerifySignatures(during, fresh), "");

  absl::Time grace_end = absl::FromUnixSeconds(rotated.previous_expire_time().seconds() + 1);
  ASSERT_TRUE(WaitUntil([&] { return absl::Now() > grace_end; }, absl::Seconds(10)));
  Publish("user.login");
  ASSERT_TRUE(receiver_.WaitFor("/rotate", 2, absl::Seconds(15)));
  auto after = receiver_.Received("/rotate")[1];
  EXPECT_EQ(VerifySignatures(after, fresh), "");
  EXPECT_NE(VerifySignatures(after, ep.secret), "");

  // A hard rotation (grace 0) retires the current secret at once.
  rotate.mutable_grace_period()->set_seconds(0);
  ASSERT_TRUE(suite_->registry().RotateSecret(Admin().get(), rotate, &rotated).ok());
  Publish("user.login");
  ASSERT_TRUE(receiver_.WaitFor("/rotate", 3, absl::Seconds(15)));
  auto hard = receiver_.Received("/rotate")[2];
  EXPECT_EQ(VerifySignatures(hard, rotated.signing_secret()), "");
  EXPECT_NE(VerifySignatures(hard, fresh), "");
  EXPECT_EQ(
      Sql(absl::StrCat("SELECT count(*) FROM endpoint_secrets WHERE endpoint_id = '", ep.id, "'")),
      "1");
}

TEST_F(DeliveryLogE2eTest, FailingEndpointIsDisabledAndTheOrgIsTold) {
  StartSuite(1, {"--disable_after", "1s", "--disable_min_failures", "3"});
  receiver_.Script("/failing", {{.status = 500}});
  // Retries outlast --disable_after, whatever the machine's speed.
  auto failing =
      CreateEndpoint(receiver_.Url("/failing"), {"user.*"}, std::vector<std::string>(10, "0.4s"));
  auto watcher = CreateEndpoint(receiver_.Url("/watcher"), {"endpoint.disabled"});
  Publish("user.login");
  ASSERT_TRUE(receiver_.WaitFor("/watcher", 1, absl::Seconds(20)));
  nlohmann::json told = nlohmann::json::parse(receiver_.Received("/watcher")[0].body);
  EXPECT_EQ(told["type"], "endpoint.disabled");
  EXPECT_EQ(told["data"]["endpointId"], failing.id);
  EXPECT_TRUE(
      absl::StrContains(told["data"]["reason"].get<std::string>(), "no successful delivery"));

  v1::GetEndpointRequest get;
  get.set_id(failing.id);
  v1::Endpoint e;
  ASSERT_TRUE(suite_->registry().GetEndpoint(Admin().get(), get, &e).ok());
  EXPECT_EQ(e.state(), v1::DISABLED);
  EXPECT_TRUE(absl::StrContains(e.disabled_reason(), "failed attempts in a row"))
      << e.disabled_reason();

  v1::ResumeEndpointRequest resume;
  resume.set_id(failing.id);
  ASSERT_TRUE(suite_->registry().ResumeEndpoint(Admin().get(), resume, &e).ok());
  EXPECT_EQ(e.state(), v1::ENABLED);
  EXPECT_EQ(e.disabled_reason(), "");
}

TEST_F(DeliveryLogE2eTest, TestEventReachesOnlyTheNamedEndpointOfItsOrg) {
  StartSuite();
  auto target = CreateEndpoint(receiver_.Url("/target"), {"user.*"});
  auto bystander = CreateEndpoint(receiver_.Url("/bystander"), {"webhook.test", "user.*"});
  v1::SendTestEventRequest ping;
  ping.set_endpoint_id(target.id);
  v1::SendTestEventResponse sent;
  ASSERT_TRUE(suite_->registry().SendTestEvent(Admin().get(), ping, &sent).ok());
  ASSERT_TRUE(WaitForState(sent.event_id(), target.id, "3", absl::Seconds(15)));
  auto got = receiver_.Received("/target");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].headers["argus-event"], "webhook.test");
  EXPECT_EQ(got[0].headers["argus-delivery"], sent.event_id());
  EXPECT_EQ(VerifySignatures(got[0], target.secret), "");
  EXPECT_EQ(receiver_.Count("/bystander"), 0u);
  EXPECT_EQ(Sql("SELECT count(*) FROM deliveries"), "1");

  // Another org's admin sees none of it.
  testing::CommandResult minted = testing::RunCommand(
      {ARGUSCTL_BINARY_FOR_TESTS, "token", "create", "--org", "globex", "--scope", "admin"},
      suite_->Env());
  ASSERT_EQ(minted.exit_code, 0);
  std::string other(absl::StripAsciiWhitespace(minted.out));
  auto ctx = [&] { return ServiceHarness::Context(other); };
  v1::SendTestEventResponse s2;
  EXPECT_EQ(suite_->registry().SendTestEvent(ctx().get(), ping, &s2).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::ListDeliveriesRequest list;
  list.set_endpoint_id(target.id);
  v1::ListDeliveriesResponse l2;
  EXPECT_EQ(suite_->registry().ListDeliveries(ctx().get(), list, &l2).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetDeliveryRequest getd;
  getd.set_id(sent.delivery_id());
  v1::Delivery d2;
  EXPECT_EQ(suite_->registry().GetDelivery(ctx().get(), getd, &d2).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::RedeliverRequest red;
  red.set_delivery_id(sent.delivery_id());
  v1::RedeliverResponse r2;
  EXPECT_EQ(suite_->registry().Redeliver(ctx().get(), red, &r2).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::RecoverFailedRequest rec;
  rec.set_endpoint_id(target.id);
  rec.mutable_since()->set_seconds(0);
  v1::RecoverFailedResponse rr;
  EXPECT_EQ(suite_->registry().RecoverFailed(ctx().get(), rec, &rr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::GetEndpointStatsRequest st;
  st.set_endpoint_id(target.id);
  v1::EndpointStats s3;
  EXPECT_EQ(suite_->registry().GetEndpointStats(ctx().get(), st, &s3).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::RotateSecretRequest rot;
  rot.set_id(target.id);
  v1::RotateSecretResponse rs;
  EXPECT_EQ(suite_->registry().RotateSecret(ctx().get(), rot, &rs).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(DeliveryLogE2eTest, EventsAndWhatWasSentAreReadableBack) {
  StartSuite();
  v1::CreateEndpointRequest create;
  create.set_label("readable");
  create.set_url(receiver_.Url("/readable"));
  create.add_event_types("user.*");
  (*create.mutable_headers())["authorization"] = "Bearer siem-sekrit-4471";
  v1::CreateEndpointResponse created;
  ASSERT_TRUE(suite_->registry().CreateEndpoint(Admin().get(), create, &created).ok());
  const std::string endpoint = created.endpoint().id();

  // One event with the publisher's time (and a payload over 1 KiB), one without.
  std::string data = absl::StrCat(R"({"userId": "u1", "note": ")", std::string(2000, 'n'), R"("})");
  v1::PublishRequest timed;
  timed.set_type("user.login");
  timed.set_project("mygame");
  timed.set_data_json(data);
  timed.mutable_occurred_at()->set_seconds(1714742400);
  timed.mutable_occurred_at()->set_nanos(250000000);
  v1::PublishResponse first;
  ASSERT_TRUE(suite_->ingest()
                  .Publish(ServiceHarness::Context(suite_->publish_token()).get(), timed, &first)
                  .ok());
  std::string second = Publish("user.logout", R"({"userId": "u1"})");
  ASSERT_TRUE(receiver_.WaitFor("/readable", 2, absl::Seconds(15)));
  ASSERT_TRUE(WaitUntil([&] { return AllFinished(); }, absl::Seconds(15)));

  std::map<std::string, std::string> bodies;  // event id -> the body received
  for (const auto& r : receiver_.Received("/readable")) {
    bodies[nlohmann::json::parse(r.body).at("id").get<std::string>()] = r.body;
  }
  nlohmann::json envelope = nlohmann::json::parse(bodies.at(first.event_id()));
  EXPECT_EQ(envelope.at("occurred_at"), "2024-05-03T13:20:00.25Z");
  EXPECT_FALSE(nlohmann::json::parse(bodies.at(second)).contains("occurred_at"))
      << "no occurred_at when the publisher gave none";

  v1::GetEventRequest get;
  get.set_id(first.event_id());
  v1::Event event;
  ASSERT_TRUE(suite_->registry().GetEvent(Admin().get(), get, &event).ok());
  EXPECT_EQ(event.id(), first.event_id());
  EXPECT_EQ(event.type(), "user.login");
  EXPECT_EQ(event.project(), "mygame");
  EXPECT_EQ(event.occurred_at().seconds(), 1714742400);
  EXPECT_EQ(event.occurred_at().nanos(), 250000000);
  EXPECT_EQ(event.create_time().seconds(), envelope.at("created").get<int64_t>());
  EXPECT_EQ(event.data_json(), data) << "the payload byte for byte";
  get.set_id(second);
  ASSERT_TRUE(suite_->registry().GetEvent(Admin().get(), get, &event).ok());
  EXPECT_FALSE(event.has_occurred_at());

  // Other orgs, unknown and malformed ids.
  std::string other = suite_->MintToken("globex", "admin");
  v1::Event ignored;
  get.set_id(first.event_id());
  EXPECT_EQ(
      suite_->registry().GetEvent(ServiceHarness::Context(other).get(), get, &ignored).error_code(),
      grpc::StatusCode::NOT_FOUND);
  get.set_id("00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(suite_->registry().GetEvent(Admin().get(), get, &ignored).error_code(),
            grpc::StatusCode::NOT_FOUND);
  get.set_id("not-a-uuid");
  EXPECT_EQ(suite_->registry().GetEvent(Admin().get(), get, &ignored).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  // GetDelivery: the signed bytes sent (the first 1 KiB) and the headers,
  // the custom header's value redacted, no signatures.
  v1::ListDeliveriesResponse listed = List(endpoint);
  ASSERT_EQ(listed.deliveries_size(), 2);
  for (const v1::Delivery& summary : listed.deliveries()) {
    v1::Delivery d = Get(summary.id());
    ASSERT_EQ(d.attempts_size(), 1);
    const std::string& sent = bodies.at(d.event_id());
    EXPECT_EQ(d.attempts(0).request_body(), sent.substr(0, 1024));
    EXPECT_EQ(d.attempts(0).request_headers().at("authorization"), "[redacted]");
    EXPECT_EQ(d.attempts(0).request_headers().at("content-type"), "application/json");
    EXPECT_EQ(d.attempts(0).request_headers().count("webhook-signature"), 0u);
    EXPECT_FALSE(absl::StrContains(d.DebugString(), "siem-sekrit-4471"));
  }
}

}  // namespace
}  // namespace argus
