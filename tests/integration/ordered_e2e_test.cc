// Ordered endpoints end to end (issue 18): three deliverer replicas, one of
// them SIGKILLed twice, keep one endpoint's deliveries strictly one at a
// time and in commit order; PAUSE and SKIP; an unordered endpoint in the
// same run is not held up by an ordered one retrying its head.
#include <signal.h>

#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "tests/support/e2e_fixture.h"
#include "tests/support/service_harness.h"

namespace argus::testing {
namespace {

using Json = nlohmann::json;

class OrderedTest : public E2eTest {
 protected:
  std::string CreateOrdered(const std::string& path, v1::OrderedFailure on_failure,
                            std::vector<int> retry_ms) {
    v1::CreateEndpointRequest req;
    req.set_label(path);
    req.set_url(receiver_.Url(path));
    req.add_event_types("user.*");
    req.set_ordering(v1::ORDERED);
    req.set_on_ordered_failure(on_failure);
    for (int ms : retry_ms) req.add_retry_schedule()->set_nanos(ms * 1000000);
    v1::CreateEndpointResponse resp;
    grpc::Status s = suite_->registry().CreateEndpoint(Admin().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.endpoint().ordering(), v1::ORDERED);
    return resp.endpoint().id();
  }

  std::unique_ptr<grpc::ClientContext> Admin() const {
    return ServiceHarness::Context(suite_->admin_token());
  }

  // Publishes `n` user.login events {"n": first..first+n-1} in batches of
  // 100, one after another: commit order is the order of n.
  void PublishNumbered(int first, int n) {
    for (int done = 0; done < n;) {
      v1::PublishBatchRequest batch;
      for (int i = 0; i < 100 && done < n; ++i, ++done) {
        v1::PublishRequest* e = batch.add_events();
        e->set_type("user.login");
        e->set_data_json(absl::StrCat(R"({"n":)", first + done, "}"));
      }
      v1::PublishBatchResponse resp;
      grpc::Status s = suite_->ingest().PublishBatch(
          ServiceHarness::Context(suite_->publish_token()).get(), batch, &resp);
      ASSERT_TRUE(s.ok()) << s.error_message();
    }
  }

  v1::Endpoint Get(const std::string& id) const {
    v1::GetEndpointRequest req;
    req.set_id(id);
    v1::Endpoint e;
    EXPECT_TRUE(suite_->registry().GetEndpoint(Admin().get(), req, &e).ok());
    return e;
  }

  // The "n" each request to `path` carried, in arrival order, and whether
  // it was answered 2xx.
  struct Arrival {
    int n = -1;
    int64_t sequence = 0;
    bool ok = false;
  };
  std::vector<Arrival> Arrivals(const std::string& path) const {
    std::vector<Arrival> out;
    for (const ReceivedRequest& r : receiver_.Received(path)) {
      Json body = Json::parse(r.body);
      if (body["type"] == "webhook.test") continue;
      Arrival a;
      a.n = body["data"]["n"].get<int>();
      a.sequence = body.value("sequence", int64_t{0});
      auto header = r.headers.find("argus-sequence");
      int64_t from_header = 0;
      if (header != r.headers.end()) EXPECT_TRUE(absl::SimpleAtoi(header->second, &from_header));
      EXPECT_EQ(from_header, a.sequence) << "argus-sequence differs from the envelope's";
      a.ok = r.status >= 200 && r.status < 300;
      out.push_back(a);
    }
    return out;
  }

  // The endpoint's queue, for failure messages: sequence:hold:attempts each.
  std::string Queue(const std::string& endpoint_id) const {
    return Sql(absl::StrCat(
        "SELECT coalesce(string_agg(coalesce(sequence::text, '-') || ':' || hold || ':' || "
        "attempts || CASE WHEN lease_owner IS NULL THEN '' ELSE ':leased' END, ',' ORDER BY "
        "sequence), 'empty') FROM delivery_queue WHERE endpoint_id = '",
        endpoint_id, "'"));
  }

  static int Successes(const std::vector<Arrival>& arrivals) {
    std::set<int> ok;
    for (const Arrival& a : arrivals) {
      if (a.ok) ok.insert(a.n);
    }
    return static_cast<int>(ok.size());
  }

  // Distinct events answered 2xx at `path`, without parsing bodies.
  int Successes(const std::string& path) const {
    std::set<std::string> ok;
    for (const ReceivedRequest& r : receiver_.Received(path)) {
      if (r.status >= 200 && r.status < 300) ok.insert(r.headers.at("argus-delivery"));
    }
    return static_cast<int>(ok.size());
  }
};

TEST_F(OrderedTest, ThreeReplicasOneKilledTwiceKeepCommitOrderWithoutGaps) {
  constexpr int kEvents = 2000;
  StartSuite(3);
  std::string id = CreateOrdered("/ordered", v1::PAUSE, {20, 20, 20, 20, 20});
  // A random tenth of first attempts fail (a fixed seed: the same run each
  // time); every retry succeeds.
  std::mt19937 rng(18);
  std::set<std::string> seen;
  receiver_.Respond("/ordered", [&](const ReceivedRequest& r) {
    bool first = seen.insert(r.headers.at("argus-delivery")).second;
    if (first && std::uniform_int_distribution<int>(0, 9)(rng) == 0) {
      return Reply{.status = 500, .body = "try again"};
    }
    return Reply{};
  });
  PublishNumbered(0, kEvents);

  auto wait_successes = [&](int n) {
    return WaitUntil([&] { return Successes("/ordered") >= n; }, absl::Seconds(120));
  };
  ASSERT_TRUE(wait_successes(600)) << Queue(id) << "; arrived: " << Successes("/ordered");
  suite_->deliverer(0).Signal(SIGKILL);
  int replacement = suite_->StartDeliverer();
  ASSERT_TRUE(wait_successes(1300));
  suite_->deliverer(replacement).Signal(SIGKILL);
  suite_->StartDeliverer();
  ASSERT_TRUE(wait_successes(kEvents)) << Successes("/ordered") << " arrived";

  std::vector<Arrival> arrivals = Arrivals("/ordered");
  EXPECT_EQ(receiver_.MaxConcurrent("/ordered"), 1) << "a request was sent while another was open";
  // Every request is the head: the one before it again (a retry, or a
  // resend after a crash) or, once that succeeded, the next one.
  int64_t head = 1;
  bool head_done = false;
  int failures = 0;
  for (size_t i = 0; i < arrivals.size(); ++i) {
    const Arrival& a = arrivals[i];
    EXPECT_EQ(a.n + 1, a.sequence) << "sequence is not the commit order, request " << i;
    if (head_done && a.sequence == head + 1) {
      ++head;
      head_done = false;
    }
    ASSERT_EQ(a.sequence, head) << "out of order at request " << i;
    head_done = head_done || a.ok;
    failures += a.ok ? 0 : 1;
  }
  EXPECT_EQ(head, kEvents);
  EXPECT_TRUE(head_done);
  EXPECT_GT(failures, kEvents / 20) << "the receiver's failures did not happen";
  EXPECT_EQ(Get(id).state(), v1::ENABLED);
  std::cout << "ordered: requests=" << arrivals.size() << " failed_first_attempts=" << failures
            << " resent=" << arrivals.size() - kEvents - failures << "\n";
}

TEST_F(OrderedTest, PauseKeepsTheHeadSkipMovesOnAndUnorderedEndpointsAreNotHeldUp) {
  StartSuite(2);
  std::string paused = CreateOrdered("/pause", v1::ORDERED_FAILURE_UNSPECIFIED, {50});
  std::string skipped = CreateOrdered("/skip", v1::SKIP, {50});
  std::string slow = CreateOrdered("/slow", v1::PAUSE, std::vector<int>(20, 500));
  Created unordered = CreateEndpoint(receiver_.Url("/unordered"), {"user.*"});
  EXPECT_EQ(Get(paused).on_ordered_failure(), v1::PAUSE);
  // n = 0 fails everywhere (the slow endpoint's head retries for 10 s).
  auto fail_zero = [](const ReceivedRequest& r) {
    return Json::parse(r.body)["data"]["n"] == 0 ? Reply{.status = 500} : Reply{};
  };
  receiver_.Respond("/pause", fail_zero);
  receiver_.Respond("/skip", fail_zero);
  receiver_.Respond("/slow", fail_zero);
  PublishNumbered(0, 3);

  // Unordered: all three arrive while the ordered heads are still failing.
  ASSERT_TRUE(receiver_.WaitFor("/unordered", 3, absl::Seconds(30)));
  for (const Arrival& a : Arrivals("/slow")) EXPECT_EQ(a.n, 0) << "the slow head was passed";

  // SKIP: n = 0 ends failed after its retry, then 1 and 2 go, in order.
  ASSERT_TRUE(WaitUntil([&] { return Successes(Arrivals("/skip")) == 2; }, absl::Seconds(30)))
      << Queue(skipped) << "; requests: " << receiver_.Count("/skip");
  std::vector<Arrival> skip = Arrivals("/skip");
  ASSERT_EQ(skip.size(), 4u);
  EXPECT_EQ(skip[2].sequence, 2);
  EXPECT_EQ(skip[3].sequence, 3);

  // PAUSE: after its retry the head stays, the endpoint pauses with a
  // reason, and what comes next waits behind it; a new event still queues.
  ASSERT_TRUE(WaitUntil([&] { return Get(paused).state() == v1::PAUSED; }, absl::Seconds(30)));
  EXPECT_NE(Get(paused).disabled_reason().find("sequence 1"), std::string::npos)
      << Get(paused).disabled_reason();
  PublishNumbered(3, 1);
  EXPECT_EQ(Sql(absl::StrCat("SELECT count(*) FROM deliveries WHERE endpoint_id = '", paused,
                             "' AND state = 1")),
            "4");
  EXPECT_EQ(receiver_.Count("/pause"), 2u);

  // A test event goes past the order and takes no number.
  receiver_.Respond("/slow", [](const ReceivedRequest& r) {
    return Json::parse(r.body)["type"] == "webhook.test" || Json::parse(r.body)["data"]["n"] != 0
               ? Reply{}
               : Reply{.status = 500};
  });
  v1::SendTestEventRequest test;
  test.set_endpoint_id(slow);
  v1::SendTestEventResponse sent;
  ASSERT_TRUE(suite_->registry().SendTestEvent(Admin().get(), test, &sent).ok());
  ASSERT_TRUE(WaitUntil(
      [&] {
        for (const ReceivedRequest& r : receiver_.Received("/slow")) {
          if (Json::parse(r.body)["type"] == "webhook.test") {
            EXPECT_EQ(r.headers.count("argus-sequence"), 0u);
            return true;
          }
        }
        return false;
      },
      absl::Seconds(30)));
  EXPECT_EQ(Successes(Arrivals("/slow")), 0) << "the slow head is still failing";

  // ResumeEndpoint continues from the head: 0, 1, 2, 3 in order.
  receiver_.Respond("/pause", [](const ReceivedRequest&) { return Reply{}; });
  v1::ResumeEndpointRequest resume;
  resume.set_id(paused);
  v1::Endpoint resumed;
  ASSERT_TRUE(suite_->registry().ResumeEndpoint(Admin().get(), resume, &resumed).ok());
  ASSERT_TRUE(WaitUntil([&] { return Successes(Arrivals("/pause")) == 4; }, absl::Seconds(30)));
  std::vector<Arrival> pause = Arrivals("/pause");
  ASSERT_EQ(pause.size(), 6u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(pause[2 + i].sequence, i + 1);

  // RecoverFailed on SKIP's endpoint: n = 0 comes back with its number.
  receiver_.Respond("/skip", [](const ReceivedRequest&) { return Reply{}; });
  v1::RecoverFailedRequest recover;
  recover.set_endpoint_id(skipped);
  recover.mutable_since()->set_seconds(0);
  v1::RecoverFailedResponse recovered;
  ASSERT_TRUE(suite_->registry().RecoverFailed(Admin().get(), recover, &recovered).ok());
  EXPECT_EQ(recovered.queued(), 1);
  ASSERT_TRUE(WaitUntil([&] { return Successes(Arrivals("/skip")) == 4; }, absl::Seconds(30)))
      << Queue(skipped);
  EXPECT_EQ(Arrivals("/skip").back().n, 0);
  EXPECT_EQ(Arrivals("/skip").back().sequence, 1) << "a replay carries its first number";
  for (const std::string& path : {"/pause", "/skip", "/slow"}) {
    EXPECT_EQ(receiver_.MaxConcurrent(path), 1) << path;
  }
}

}  // namespace
}  // namespace argus::testing
