// Deliverer replicas, crashes and slow endpoints, end to end: all binaries as
// processes, real HTTPS receivers on loopback.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "absl/strings/str_cat.h"
#include "tests/support/e2e_fixture.h"
#include "tests/support/service_harness.h"

namespace argus {
namespace {

namespace v1 = ::argus::webhooks::v1;

using testing::E2eTest;
using testing::HttpsReceiver;
using testing::Reply;
using testing::ServiceHarness;
using testing::VerifySignatures;

using DelivererScalingTest = E2eTest;

// Publishes `n` events in batches; returns their ids.
std::vector<std::string> PublishMany(testing::Suite& suite, int n) {
  std::vector<std::string> ids;
  for (int start = 0; start < n; start += 100) {
    v1::PublishBatchRequest batch;
    for (int i = start; i < std::min(n, start + 100); ++i) {
      v1::PublishRequest* e = batch.add_events();
      e->set_type("user.login");
      e->set_data_json(absl::StrCat(R"({"n":)", i, "}"));
    }
    v1::PublishBatchResponse resp;
    grpc::Status s = suite.ingest().PublishBatch(
        ServiceHarness::Context(suite.publish_token()).get(), batch, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    for (const auto& r : resp.results()) ids.push_back(r.event_id());
  }
  return ids;
}

// How often each event id reached `path`.
std::map<std::string, int> Arrivals(const HttpsReceiver& receiver, const std::string& path) {
  std::map<std::string, int> seen;
  for (const auto& r : receiver.Received(path)) ++seen[r.headers.at("argus-delivery")];
  return seen;
}

TEST_F(DelivererScalingTest, TwoReplicasShareTheLoadAndEachEventArrivesOnce) {
  StartSuite(/*deliverers=*/2, {"--claim_batch", "20"});
  auto ep = CreateEndpoint(receiver_.Url("/load"), {"user.*"});
  std::vector<std::string> ids = PublishMany(*suite_, 400);
  ASSERT_TRUE(receiver_.WaitFor("/load", ids.size(), absl::Seconds(60)));
  ASSERT_TRUE(
      WaitUntil([&] { return Sql("SELECT count(*) FROM deliveries WHERE state = 3") == "400"; },
                absl::Seconds(20)));
  std::map<std::string, int> seen = Arrivals(receiver_, "/load");
  EXPECT_EQ(seen.size(), ids.size());
  // At least once: an event may arrive twice only after an attempt that was
  // recorded as failed (on a busy machine a 2 s request timeout can expire
  // while the receiver is still answering). Never from two replicas holding
  // it at once: a lease runs out only after a replica stopped sending.
  for (const auto& id : ids) {
    ASSERT_GE(seen[id], 1) << id;
    if (seen[id] == 1) continue;
    std::string failed = Sql(absl::StrCat(
        "SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
        "WHERE d.event_id = '",
        id, "' AND (a.error <> '' OR a.status_code NOT BETWEEN 200 AND 299)"));
    EXPECT_GE(std::stoi(failed), seen[id] - 1)
        << id << " arrived " << seen[id] << " times with " << failed << " failed attempts recorded";
  }
  int64_t total = 0;
  for (int i = 0; i < 2; ++i) {
    v1::DelivererStatus status;
    ASSERT_TRUE(
        suite_->DelivererStub(i)
            ->GetStatus(ServiceHarness::Context(suite_->operator_token()).get(), {}, &status)
            .ok());
    EXPECT_GT(status.delivered(), 0) << "replica " << i << " delivered nothing";
    total += status.delivered();
  }
  EXPECT_EQ(total, 400);  // one recorded success per event, whichever replica
  EXPECT_EQ(VerifySignatures(receiver_.Received("/load")[0], ep.secret), "");
}

TEST_F(DelivererScalingTest, KilledReplicaLosesNothing) {
  // Replica 0 holds every delivery on the wire to a receiver that hangs...
  StartSuite(/*deliverers=*/1, {"--request_timeout", "2s", "--lease", "4s"});
  receiver_.Script("/crash", {{.hang = true}});
  CreateEndpoint(receiver_.Url("/crash"), {"user.*"});
  std::vector<std::string> ids = PublishMany(*suite_, 10);
  ASSERT_TRUE(receiver_.WaitFor("/crash", 10, absl::Seconds(20)));
  ASSERT_EQ(Sql("SELECT count(*) FROM delivery_queue WHERE lease_owner IS NOT NULL"), "10");
  // ...and dies.
  suite_->deliverer(0).Signal(SIGKILL);
  ASSERT_EQ(suite_->deliverer(0).Wait(absl::Seconds(10)), 128 + SIGKILL);
  receiver_.Script("/crash", {{.status = 200}});
  receiver_.ReleaseHangs();
  // Another replica takes the expired leases over and delivers every one.
  suite_->StartDeliverer();
  ASSERT_TRUE(
      WaitUntil([&] { return Sql("SELECT count(*) FROM deliveries WHERE state = 3") == "10"; },
                absl::Seconds(30)));
  std::map<std::string, int> seen = Arrivals(receiver_, "/crash");
  for (const auto& id : ids) EXPECT_GE(seen[id], 2) << id;  // the hung try, then the real one
  EXPECT_EQ(Sql("SELECT count(*) FROM delivery_attempts WHERE status_code = 200"), "10");
}

TEST_F(DelivererScalingTest, HungEndpointDoesNotHoldUpAHealthyOne) {
  StartSuite(/*deliverers=*/1, {"--request_timeout", "8s", "--lease", "30s"});
  HttpsReceiver hung_receiver(ca_);
  hung_receiver.Script("/hung", {{.hang = true}});
  CreateEndpoint(hung_receiver.Url("/hung"), {"user.*"});
  CreateEndpoint(receiver_.Url("/healthy"), {"user.*"});
  absl::Time start = absl::Now();
  std::vector<std::string> ids = PublishMany(*suite_, 60);
  // Every healthy delivery arrives while the hung ones are still outstanding.
  ASSERT_TRUE(receiver_.WaitFor("/healthy", ids.size(), absl::Seconds(7)))
      << "healthy endpoint got " << receiver_.Count("/healthy") << " of " << ids.size();
  absl::Duration took = absl::Now() - start;
  EXPECT_GT(hung_receiver.Count("/hung"), 0u);
  EXPECT_EQ(
      Sql("SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id "
          "JOIN endpoints e ON e.id = d.endpoint_id WHERE e.url LIKE '%/hung'"),
      "0")
      << "the hung requests had already ended";
  std::cout << "healthy endpoint: " << ids.size() << " deliveries in " << absl::FormatDuration(took)
            << " while the other endpoint hung\n";
  hung_receiver.ReleaseHangs();
}

void SetRateLimit(testing::Suite& suite, const std::string& endpoint_id, int per_second) {
  v1::UpdateEndpointRequest update;
  update.mutable_endpoint()->set_id(endpoint_id);
  update.mutable_endpoint()->set_rate_limit_per_second(per_second);
  update.mutable_update_mask()->add_paths("rate_limit_per_second");
  v1::Endpoint updated;
  grpc::Status s = suite.registry().UpdateEndpoint(
      ServiceHarness::Context(suite.admin_token()).get(), update, &updated);
  ASSERT_TRUE(s.ok()) << s.error_message();
}

// rate_limit_per_second is the endpoint's, not each replica's: the tokens
// are kept in PostgreSQL and taken before a delivery can be claimed.
TEST_F(DelivererScalingTest, ARateLimitHoldsForTheEndpointAcrossThreeReplicas) {
  StartSuite(/*deliverers=*/3);
  auto ep = CreateEndpoint(receiver_.Url("/limited"), {"user.*"});
  SetRateLimit(*suite_, ep.id, 10);
  PublishMany(*suite_, 150);
  // 120 arrivals take 12 s at 10/s: the first 10 s are all in.
  ASSERT_TRUE(receiver_.WaitFor("/limited", 120, absl::Seconds(60))) << suite_->AllLogs();
  std::vector<absl::Time> at;
  for (const auto& r : receiver_.Received("/limited")) at.push_back(r.at);
  std::sort(at.begin(), at.end());
  size_t in_10s =
      std::lower_bound(at.begin(), at.end(), at.front() + absl::Seconds(10)) - at.begin();
  // 10 s at 10/s, the bucket (two requests), and a little for the spread
  // of request latencies. Per replica, it would be up to 300.
  EXPECT_LE(in_10s, 104u);
  std::cout << "rate-limited endpoint (10/s, 3 replicas): " << in_10s << " requests in 10 s\n";
}

// A paused endpoint's backlog is outside the claims (the delivery after it
// in due order, to another endpoint, goes first) and on resume it is sent
// oldest first.
TEST_F(DelivererScalingTest, APausedEndpointsBacklogResumesInOrderOfDueTime) {
  StartSuite(/*deliverers=*/0, {"--per_endpoint_in_flight", "1"});
  auto paused = CreateEndpoint(receiver_.Url("/paused"), {"user.login"});
  CreateEndpoint(receiver_.Url("/other"), {"user.*"});
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i)
    ids.push_back(Publish("user.login", absl::StrCat(R"({"n":)", i, "}")));
  v1::PauseEndpointRequest pause;
  pause.set_id(paused.id);
  v1::Endpoint e;
  ASSERT_TRUE(suite_->registry()
                  .PauseEndpoint(ServiceHarness::Context(suite_->admin_token()).get(), pause, &e)
                  .ok());
  Publish("user.logout");
  suite_->StartDeliverer();
  ASSERT_TRUE(receiver_.WaitFor("/other", 21, absl::Seconds(30))) << suite_->AllLogs();
  EXPECT_EQ(receiver_.Count("/paused"), 0u);
  EXPECT_EQ(Sql(absl::StrCat("SELECT string_agg(DISTINCT hold::text || ':' || "
                             "(lease_owner IS NULL)::text, ',') FROM delivery_queue "
                             "WHERE endpoint_id = '",
                             paused.id, "'")),
            "1:true");

  v1::ResumeEndpointRequest resume;
  resume.set_id(paused.id);
  ASSERT_TRUE(suite_->registry()
                  .ResumeEndpoint(ServiceHarness::Context(suite_->admin_token()).get(), resume, &e)
                  .ok());
  ASSERT_TRUE(receiver_.WaitFor("/paused", ids.size(), absl::Seconds(30)));
  std::vector<std::string> order;
  for (const auto& r : receiver_.Received("/paused"))
    order.push_back(r.headers.at("argus-delivery"));
  EXPECT_EQ(order, ids);
}

}  // namespace
}  // namespace argus
