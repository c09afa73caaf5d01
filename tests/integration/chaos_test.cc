// Crash and restart under load: a publisher keeps publishing (idempotency
// keys, retrying UNAVAILABLE) while a deliverer is SIGKILLed and replaced,
// PostgreSQL restarts, event-ingest is SIGKILLed and restarted, and the
// receiver fails for a while. Afterwards every acknowledged event has
// arrived; duplicates are counted and reported.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/https_receiver.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_harness.h"
#include "tests/support/suite.h"
#include "tests/support/test_database.h"

namespace argus {
namespace {

namespace v1 = ::argus::webhooks::v1;
using namespace argus::testing;

constexpr int kEvents = 300;

TEST(ChaosTest, NothingAcknowledgedIsLost) {
  PgCluster cluster;
  TestDatabase db(cluster.admin_url());
  TestCa ca;
  HttpsReceiver receiver(ca);
  Suite suite(db.url(), {.registry_flags = {"--allowed_target_cidrs", "127.0.0.0/8"},
                         .deliverer_flags = {"--ca_bundle", ca.ca_cert(), "--allowed_target_cidrs",
                                             "127.0.0.0/8", "--request_timeout", "2s", "--lease",
                                             "4s", "--poll_interval", "200ms"},
                         .deliverers = 2});
  v1::CreateEndpointRequest create;
  create.set_label("chaos");
  create.set_url(receiver.Url("/chaos"));
  create.add_event_types("user.*");
  for (int i = 0; i < 20; ++i) create.add_retry_schedule()->set_seconds(1);  // the maximum
  v1::CreateEndpointResponse created;
  ASSERT_TRUE(
      suite.registry()
          .CreateEndpoint(ServiceHarness::Context(suite.admin_token()).get(), create, &created)
          .ok());

  std::mutex mu;
  std::set<std::string> acknowledged;
  std::atomic<int> acked{0};
  std::atomic<int> unavailable{0};
  std::thread publisher([&] {
    for (int i = 0; i < kEvents; ++i) {
      v1::PublishRequest req;
      req.set_type("user.login");
      req.set_idempotency_key(absl::StrCat("chaos-", i));
      req.set_data_json(absl::StrCat(R"({"n":)", i, "}"));
      absl::Time deadline = absl::Now() + absl::Seconds(60);
      while (absl::Now() < deadline) {
        // A fresh stub each try: event-ingest may have moved to a new process.
        auto stub = v1::EventIngest::NewStub(
            grpc::CreateChannel(suite.IngestAddress(), grpc::InsecureChannelCredentials()));
        v1::PublishResponse resp;
        grpc::Status s =
            stub->Publish(ServiceHarness::Context(suite.publish_token()).get(), req, &resp);
        if (s.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          acknowledged.insert(resp.event_id());
          ++acked;
          break;
        }
        ++unavailable;
        absl::SleepFor(absl::Milliseconds(50));  // client backoff before retrying
      }
    }
  });
  auto wait_acked = [&](int n) {
    absl::Time deadline = absl::Now() + absl::Seconds(90);
    while (acked < n && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(20));
  };

  wait_acked(40);
  suite.deliverer(0).Signal(SIGKILL);  // (a) a deliverer dies...
  suite.StartDeliverer();              // ...and is replaced
  wait_acked(90);
  cluster.Stop();  // (b) PostgreSQL restarts
  cluster.Start();
  wait_acked(150);
  suite.RestartIngest();  // (c) event-ingest dies and comes back
  wait_acked(200);
  receiver.Script("/chaos", {{.status = 503, .body = "down"}});  // (d) the receiver is down...
  wait_acked(250);
  receiver.Script("/chaos", {{.status = 200}});  // ...and back
  publisher.join();

  std::set<std::string> expected;
  {
    std::lock_guard<std::mutex> lock(mu);
    expected = acknowledged;
  }
  std::map<std::string, int> arrivals;
  absl::Time deadline = absl::Now() + absl::Seconds(120);
  size_t delivered = 0;
  while (absl::Now() < deadline) {
    arrivals.clear();
    for (const auto& r : receiver.Received("/chaos")) {
      if (r.status == 200) ++arrivals[r.headers.at("argus-delivery")];
    }
    delivered = 0;
    for (const auto& id : expected) delivered += arrivals.count(id);
    if (delivered == expected.size()) break;
    absl::SleepFor(absl::Milliseconds(200));
  }
  int duplicates = 0;
  for (const auto& [id, n] : arrivals) duplicates += n - 1;
  std::cout << "chaos: acknowledged=" << expected.size() << " delivered=" << delivered
            << " lost=" << expected.size() - delivered << " duplicates=" << duplicates
            << " publish_retries=" << unavailable << "\n";
  EXPECT_EQ(static_cast<int>(expected.size()), kEvents);
  EXPECT_EQ(delivered, expected.size()) << "acknowledged events were lost";
}

}  // namespace
}  // namespace argus
