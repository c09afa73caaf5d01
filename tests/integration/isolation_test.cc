// Tenant isolation and scopes, RPC by RPC, against the running services: a
// token of org B gets NOT_FOUND (or an empty list) for org A's resources, a
// token with the wrong scope gets PERMISSION_DENIED, no token gets
// UNAUTHENTICATED; secrets appear only where they are handed out; bad input
// gets a clear error and every service stays up.
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "tests/support/e2e_fixture.h"
#include "tests/support/service_harness.h"

namespace argus {
namespace {

namespace v1 = ::argus::webhooks::v1;
using testing::E2eTest;
using testing::ServiceHarness;

struct Rpc {
  std::string name;
  // Calls the RPC about org A's resources with `token`; `out` receives the
  // response's text form.
  std::function<grpc::Status(const std::string& token, std::string* out)> call;
  bool lists = false;  // another org sees an empty result instead of NOT_FOUND
};

class IsolationTest : public E2eTest {
 protected:
  template <typename Req, typename Resp, typename Method>
  static std::function<grpc::Status(const std::string&, std::string*)> Call(Method method,
                                                                            Req req) {
    return [method, req](const std::string& token, std::string* out) {
      Resp resp;
      grpc::Status s = method(ServiceHarness::Context(token).get(), req, &resp);
      *out = resp.DebugString();
      return s;
    };
  }
};

TEST_F(IsolationTest, EveryRpcIsScopedToTheTokensOrg) {
  StartSuite(1, {}, /*debouncers=*/1);
  auto ep = CreateEndpoint(receiver_.Url("/a"), {"user.*", "session.*"});
  std::string event = Publish("user.login");
  Publish("session.created", R"({"sessionName": "S"})", "mygame");
  ASSERT_TRUE(WaitForState(event, ep.id, "3", absl::Seconds(15)));
  std::string delivery = Sql("SELECT id FROM deliveries LIMIT 1");
  std::string admin_b = suite_->MintToken("globex", "admin");
  std::string publish_a = suite_->publish_token();

  auto& reg = suite_->registry();
  auto r = [&](auto fn) {
    return [&reg, fn](auto&&... a) { return (reg.*fn)(std::forward<decltype(a)>(a)...); };
  };
  v1::GetEndpointRequest get;
  get.set_id(ep.id);
  v1::UpdateEndpointRequest update;
  update.mutable_endpoint()->set_id(ep.id);
  update.mutable_endpoint()->set_label("mine now");
  v1::PauseEndpointRequest pause;
  pause.set_id(ep.id);
  v1::ResumeEndpointRequest resume;
  resume.set_id(ep.id);
  v1::DeleteEndpointRequest del;
  del.set_id(ep.id);
  v1::RotateSecretRequest rotate;
  rotate.set_id(ep.id);
  v1::ListDeliveriesRequest list_deliveries;
  list_deliveries.set_endpoint_id(ep.id);
  v1::GetDeliveryRequest get_delivery;
  get_delivery.set_id(delivery);
  v1::RedeliverRequest redeliver;
  redeliver.set_delivery_id(delivery);
  v1::RecoverFailedRequest recover;
  recover.set_endpoint_id(ep.id);
  recover.mutable_since()->set_seconds(0);
  v1::GetEndpointStatsRequest stats;
  stats.set_endpoint_id(ep.id);
  v1::SendTestEventRequest ping;
  ping.set_endpoint_id(ep.id);
  v1::CompleteSessionRequest complete;
  complete.set_project("mygame");
  complete.set_label("S");
  auto debouncer = suite_->DebouncerStub(0);
  auto deliverer = suite_->DelivererStub(0);
  v1::Debouncer::Stub* deb = debouncer.get();

  std::vector<Rpc> registry_rpcs = {
      {"GetEndpoint", Call<v1::GetEndpointRequest, v1::Endpoint>(
                          r(&v1::EndpointRegistry::Stub::GetEndpoint), get)},
      {"UpdateEndpoint", Call<v1::UpdateEndpointRequest, v1::Endpoint>(
                             r(&v1::EndpointRegistry::Stub::UpdateEndpoint), update)},
      {"PauseEndpoint", Call<v1::PauseEndpointRequest, v1::Endpoint>(
                            r(&v1::EndpointRegistry::Stub::PauseEndpoint), pause)},
      {"ResumeEndpoint", Call<v1::ResumeEndpointRequest, v1::Endpoint>(
                             r(&v1::EndpointRegistry::Stub::ResumeEndpoint), resume)},
      {"RotateSecret", Call<v1::RotateSecretRequest, v1::RotateSecretResponse>(
                           r(&v1::EndpointRegistry::Stub::RotateSecret), rotate)},
      {"ListDeliveries", Call<v1::ListDeliveriesRequest, v1::ListDeliveriesResponse>(
                             r(&v1::EndpointRegistry::Stub::ListDeliveries), list_deliveries)},
      {"GetDelivery", Call<v1::GetDeliveryRequest, v1::Delivery>(
                          r(&v1::EndpointRegistry::Stub::GetDelivery), get_delivery)},
      {"Redeliver", Call<v1::RedeliverRequest, v1::RedeliverResponse>(
                        r(&v1::EndpointRegistry::Stub::Redeliver), redeliver)},
      {"RecoverFailed", Call<v1::RecoverFailedRequest, v1::RecoverFailedResponse>(
                            r(&v1::EndpointRegistry::Stub::RecoverFailed), recover)},
      {"GetEndpointStats", Call<v1::GetEndpointStatsRequest, v1::EndpointStats>(
                               r(&v1::EndpointRegistry::Stub::GetEndpointStats), stats)},
      {"SendTestEvent", Call<v1::SendTestEventRequest, v1::SendTestEventResponse>(
                            r(&v1::EndpointRegistry::Stub::SendTestEvent), ping)},
      {"DeleteEndpoint", Call<v1::DeleteEndpointRequest, v1::DeleteEndpointResponse>(
                             r(&v1::EndpointRegistry::Stub::DeleteEndpoint), del)},
      {"ListEndpoints",
       Call<v1::ListEndpointsRequest, v1::ListEndpointsResponse>(
           r(&v1::EndpointRegistry::Stub::ListEndpoints), {}),
       true},
      {"CompleteSession",
       Call<v1::CompleteSessionRequest, v1::CompleteSessionResponse>(
           [deb](auto&&... a) { return deb->CompleteSession(std::forward<decltype(a)>(a)...); },
           complete)},
      {"ListOpenSessions",
       Call<v1::ListOpenSessionsRequest, v1::ListOpenSessionsResponse>(
           [deb](auto&&... a) { return deb->ListOpenSessions(std::forward<decltype(a)>(a)...); },
           {}),
       true},
  };
  ASSERT_TRUE(WaitUntil([&] { return Sql("SELECT count(*) FROM test_sessions") == "1"; },
                        absl::Seconds(10)));
  for (const Rpc& rpc : registry_rpcs) {
    SCOPED_TRACE(rpc.name);
    std::string out;
    grpc::Status other_org = rpc.call(admin_b, &out);
    if (rpc.lists) {
      EXPECT_TRUE(other_org.ok()) << other_org.error_message();
      EXPECT_FALSE(absl::StrContains(out, ep.id));
      EXPECT_FALSE(absl::StrContains(out, "label:"));
    } else {
      EXPECT_EQ(other_org.error_code(), grpc::StatusCode::NOT_FOUND) << other_org.error_message();
    }
    EXPECT_EQ(rpc.call(publish_a, &out).error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(rpc.call("", &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(rpc.call("argus_forged", &out).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // Org A's endpoint was left exactly as it was.
  v1::Endpoint still;
  ASSERT_TRUE(
      reg.GetEndpoint(ServiceHarness::Context(suite_->admin_token()).get(), get, &still).ok());
  EXPECT_EQ(still.label(), "e2e");
  EXPECT_EQ(still.state(), v1::ENABLED);
  EXPECT_EQ(Sql("SELECT count(*) FROM endpoint_secrets"), "1");

  // Publishing needs the publish scope; the deliverer's status needs an
  // operator token.
  v1::PublishRequest pub;
  pub.set_type("user.login");
  v1::PublishResponse pub_resp;
  EXPECT_EQ(suite_->ingest()
                .Publish(ServiceHarness::Context(suite_->admin_token()).get(), pub, &pub_resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      suite_->ingest().Publish(ServiceHarness::Context("").get(), pub, &pub_resp).error_code(),
      grpc::StatusCode::UNAUTHENTICATED);
  pub.set_org("acme");
  EXPECT_EQ(suite_->ingest()
                .Publish(ServiceHarness::Context(publish_a).get(), pub, &pub_resp)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  v1::PublishBatchRequest batch;
  batch.add_events()->set_type("user.login");
  v1::PublishBatchResponse batch_resp;
  EXPECT_EQ(
      suite_->ingest()
          .PublishBatch(ServiceHarness::Context(suite_->admin_token()).get(), batch, &batch_resp)
          .error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  v1::DelivererStatus status;
  EXPECT_EQ(
      deliverer->GetStatus(ServiceHarness::Context(publish_a).get(), {}, &status).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(deliverer->GetStatus(ServiceHarness::Context("").get(), {}, &status).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  v1::DrainResponse drained;
  EXPECT_EQ(deliverer->Drain(ServiceHarness::Context(publish_a).get(), {}, &drained).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // The deliverers serve every org: an org's admin cannot read or stop them.
  EXPECT_EQ(deliverer->GetStatus(ServiceHarness::Context(suite_->admin_token()).get(), {}, &status)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(deliverer->Drain(ServiceHarness::Context(suite_->admin_token()).get(), {}, &drained)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(
      deliverer->GetStatus(ServiceHarness::Context(suite_->operator_token()).get(), {}, &status)
          .ok());
  // An operator token reads no org's data.
  v1::ListEndpointsResponse listed;
  EXPECT_EQ(suite_->registry()
                .ListEndpoints(ServiceHarness::Context(suite_->operator_token()).get(), {}, &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(deliverer->Drain(ServiceHarness::Context("").get(), {}, &drained).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  // The signing secret and the tokens are in no log line of any service, and
  // the secret is nowhere in the database in plaintext.
  std::string logs = suite_->AllLogs();
  EXPECT_FALSE(logs.empty());
  for (const std::string& secret :
       {ep.secret, ep.secret.substr(6), suite_->admin_token(), publish_a, admin_b}) {
    EXPECT_FALSE(absl::StrContains(logs, secret)) << "a secret or token was logged";
  }
  std::string tables =
      Sql("SELECT string_agg(table_name, ',') FROM information_schema.tables "
          "WHERE table_schema = 'public'");
  for (absl::string_view table : absl::StrSplit(tables, ',')) {
    EXPECT_EQ(Sql(absl::StrCat("SELECT count(*) FROM ", table, " t WHERE t::text LIKE '%",
                               ep.secret.substr(6), "%'")),
              "0")
        << table;
  }
}

TEST_F(IsolationTest, BadInputGetsAClearErrorAndServicesStayUp) {
  StartSuite(1, {}, /*debouncers=*/1);
  std::string admin = suite_->admin_token();
  auto& reg = suite_->registry();
  // Negative and absurd page sizes, forged page tokens.
  v1::ListEndpointsRequest list;
  list.set_page_size(-1);
  v1::ListEndpointsResponse listed;
  EXPECT_EQ(reg.ListEndpoints(ServiceHarness::Context(admin).get(), list, &listed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  list.set_page_size(1 << 30);
  EXPECT_TRUE(reg.ListEndpoints(ServiceHarness::Context(admin).get(), list, &listed).ok());
  list.set_page_token(std::string(10000, 'A'));
  EXPECT_EQ(reg.ListEndpoints(ServiceHarness::Context(admin).get(), list, &listed).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // Huge fields.
  v1::CreateEndpointRequest create;
  create.set_label(std::string(1 << 20, 'x'));
  create.set_url("https://example.com/" + std::string(1 << 20, 'p'));
  create.add_event_types("user.*");
  v1::CreateEndpointResponse created;
  grpc::Status huge = reg.CreateEndpoint(ServiceHarness::Context(admin).get(), create, &created);
  EXPECT_EQ(huge.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << huge.error_message();
  for (int i = 0; i < 1000; ++i) create.add_event_types(std::string(100, 'e') + ".x");
  create.set_label("ok");
  create.set_url("https://example.com/");
  EXPECT_EQ(reg.CreateEndpoint(ServiceHarness::Context(admin).get(), create, &created).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::PublishRequest big;
  big.set_type("user.login");
  big.set_data_json("{\"a\":\"" + std::string(3 << 20, 'x') + "\"}");
  v1::PublishResponse published;
  grpc::Status too_big = suite_->ingest().Publish(
      ServiceHarness::Context(suite_->publish_token()).get(), big, &published);
  EXPECT_TRUE(too_big.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
              too_big.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED)
      << too_big.error_code() << " " << too_big.error_message();
  // Bytes that are not the request message at all, and invalid UTF-8 in a
  // string field, sent raw to every service.
  std::string invalid_utf8 = std::string("\x0a\x04", 2) + "\xff\xfe\xfd\xfc";  // field 1, bad UTF-8
  for (const std::string& raw : {std::string("\xff\xff\xff\xff\x0f", 5), invalid_utf8}) {
    for (const auto& [address, method] : std::vector<std::pair<std::string, std::string>>{
             {"registry", "/argus.webhooks.v1.EndpointRegistry/GetEndpoint"},
             {"ingest", "/argus.webhooks.v1.EventIngest/Publish"}}) {
      grpc::GenericStub stub(grpc::CreateChannel(
          address == "registry" ? suite_->RegistryAddress() : suite_->IngestAddress(),
          grpc::InsecureChannelCredentials()));
      grpc::CompletionQueue cq;
      auto ctx = ServiceHarness::Context(admin);
      grpc::Slice slice(raw);
      grpc::ByteBuffer send(&slice, 1), received;
      auto call = stub.PrepareUnaryCall(ctx.get(), method, send, &cq);
      call->StartCall();
      grpc::Status status;
      call->Finish(&received, &status, reinterpret_cast<void*>(1));
      void* tag;
      bool ok;
      cq.Next(&tag, &ok);
      EXPECT_FALSE(status.ok()) << method;
      EXPECT_NE(status.error_code(), grpc::StatusCode::UNKNOWN) << method;
    }
  }
  // Everyone is still serving.
  for (const std::string& address : {suite_->RegistryAddress(), suite_->IngestAddress()}) {
    EXPECT_TRUE(testing::WaitUntilServing(address, absl::Seconds(5))) << address;
  }
  EXPECT_TRUE(suite_->deliverer(0).Running());
  EXPECT_TRUE(suite_->debouncer(0).Running());
}

}  // namespace
}  // namespace argus
