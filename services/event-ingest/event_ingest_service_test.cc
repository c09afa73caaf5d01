// Service tests: a real event-ingest (and a real registry to manage
// endpoints) over real gRPC channels against a real PostgreSQL.
#include <gtest/gtest.h>
#include <httplib.h>

#include <functional>
#include <limits>
#include <pqxx/pqxx>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "services/endpoint-registry/registry_harness.h"
#include "services/event-ingest/ingest_harness.h"
#include "tests/support/test_database.h"

namespace argus {
namespace {

using testing::IngestHarness;
using testing::RegistryHarness;
using testing::TestDatabase;

class EventIngestTest : public ::testing::Test {
 protected:
  EventIngestTest()
      : registry_(db_.url()),
        ingest_(db_.url(), /*serve_metrics=*/false, /*max_payload_bytes=*/4096),
        admin_(registry_.MintToken("acme", kScopeAdmin)),
        publisher_(ingest_.MintToken("acme", kScopePublish)),
        other_admin_(registry_.MintToken("globex", kScopeAdmin)) {}

  std::string CreateEndpoint(const std::string& token, const std::string& label,
                             std::vector<std::string> types, const std::string& project = "") {
    v1::CreateEndpointRequest req;
    req.set_label(label);
    req.set_url("https://receiver.example.com/" + label);
    for (auto& t : types) req.add_event_types(t);
    req.set_project(project);
    v1::CreateEndpointResponse resp;
    grpc::Status s =
        registry_.stub().CreateEndpoint(RegistryHarness::Context(token).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.endpoint().id();
  }

  grpc::Status Publish(const v1::PublishRequest& req, v1::PublishResponse* resp,
                       const std::string& token) {
    return ingest_.stub().Publish(IngestHarness::Context(token).get(), req, resp);
  }

  v1::PublishResponse PublishOk(const std::string& type, const std::string& key = "",
                                const std::string& project = "") {
    v1::PublishRequest req;
    req.set_type(type);
    req.set_idempotency_key(key);
    req.set_project(project);
    req.set_data_json(R"({"userId":"u1"})");
    v1::PublishResponse resp;
    grpc::Status s = Publish(req, &resp, publisher_);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  std::string Count(const std::string& sql) { return db_.QueryValue(sql); }

  TestDatabase db_;
  RegistryHarness registry_;
  IngestHarness ingest_;
  std::string admin_;
  std::string publisher_;
  std::string other_admin_;
};

TEST_F(EventIngestTest, FansOutToExactlyTheSubscribedEnabledEndpoints) {
  std::string exact = CreateEndpoint(admin_, "exact", {"user.login"});
  std::string category = CreateEndpoint(admin_, "category", {"user.*"});
  CreateEndpoint(admin_, "other-types", {"mfa.*", "billing.payment_failed"});
  std::string paused = CreateEndpoint(admin_, "paused", {"user.login"});
  v1::PauseEndpointRequest pause;
  pause.set_id(paused);
  v1::Endpoint out;
  ASSERT_TRUE(
      registry_.stub().PauseEndpoint(RegistryHarness::Context(admin_).get(), pause, &out).ok());
  CreateEndpoint(other_admin_, "other-org", {"user.login"});

  v1::PublishResponse resp = PublishOk("user.login");
  EXPECT_EQ(resp.fanout(), 2);
  EXPECT_FALSE(resp.duplicate());
  std::string rows = Count(
      absl::StrCat("SELECT string_agg(endpoint_id::text || ':' || state, ',' ORDER BY endpoint_id) "
                   "FROM deliveries WHERE event_id = '",
                   resp.event_id(), "'"));
  std::vector<std::string> expected = {exact + ":1", category + ":1"};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(rows, absl::StrCat(expected[0], ",", expected[1]));
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries"), "2");
  EXPECT_EQ(Count(absl::StrCat("SELECT type FROM events WHERE id = '", resp.event_id(), "'")),
            "user.login");
}

TEST_F(EventIngestTest, ProjectScopedEndpointsGetOnlyTheirProject) {
  CreateEndpoint(admin_, "all-projects", {"session.created"});
  CreateEndpoint(admin_, "mygame-only", {"session.created"}, "mygame");
  EXPECT_EQ(PublishOk("session.created", "", "mygame").fanout(), 2);
  EXPECT_EQ(PublishOk("session.created", "", "othergame").fanout(), 1);
  EXPECT_EQ(PublishOk("session.created").fanout(), 1);
}

TEST_F(EventIngestTest, IdempotencyKeyReturnsTheFirstEvent) {
  CreateEndpoint(admin_, "e", {"user.*"});
  v1::PublishResponse first = PublishOk("user.login", "login-42");
  v1::PublishResponse again = PublishOk("user.login", "login-42");
  EXPECT_EQ(again.event_id(), first.event_id());
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.fanout(), 0);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), "1");
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries"), "1");
  // Keys are per org.
  std::string other_publisher = ingest_.MintToken("globex", kScopePublish);
  v1::PublishRequest req;
  req.set_type("user.login");
  req.set_idempotency_key("login-42");
  v1::PublishResponse other;
  ASSERT_TRUE(Publish(req, &other, other_publisher).ok());
  EXPECT_FALSE(other.duplicate());
  EXPECT_NE(other.event_id(), first.event_id());
}

TEST_F(EventIngestTest, EightConcurrentPublishesWithOneKeyMakeOneEvent) {
  CreateEndpoint(admin_, "e", {"user.*"});
  std::vector<v1::PublishResponse> responses(8);
  std::vector<grpc::Status> statuses(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      v1::PublishRequest req;
      req.set_type("user.login");
      req.set_idempotency_key("race");
      statuses[i] = Publish(req, &responses[i], publisher_);
    });
  }
  for (auto& t : threads) t.join();
  int originals = 0;
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(statuses[i].ok()) << statuses[i].error_message();
    EXPECT_EQ(responses[i].event_id(), responses[0].event_id());
    originals += responses[i].duplicate() ? 0 : 1;
  }
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), "1");
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries"), "1");
}

TEST_F(EventIngestTest, BadInputIsRefusedAndNothingIsStored) {
  CreateEndpoint(admin_, "e", {"user.*"});
  struct Case {
    std::string name;
    std::function<void(v1::PublishRequest&)> mutate;
    std::string needle;
  };
  std::vector<Case> cases = {
      {"empty type", [](auto& r) { r.clear_type(); }, "type is required"},
      {"unknown type", [](auto& r) { r.set_type("user.teleported"); }, "user.teleported"},
      {"invalid json", [](auto& r) { r.set_data_json("{\"a\":"); }, "JSON object"},
      {"json array", [](auto& r) { r.set_data_json("[1]"); }, "JSON object"},
      {"oversized", [](auto& r) { r.set_data_json("{\"a\":\"" + std::string(5000, 'x') + "\"}"); },
       "limit is 4096"},
      {"project", [](auto& r) { r.set_project("Bad Project!"); }, "project"},
      {"long key", [](auto& r) { r.set_idempotency_key(std::string(300, 'k')); },
       "idempotency_key"},
      {"both payloads",
       [](auto& r) { (*r.mutable_data()->mutable_fields())["x"].set_bool_value(true); },
       "not both"},
      {"org field", [](auto& r) { r.set_org("globex"); }, "org"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::PublishRequest req;
    req.set_type("user.login");
    req.set_data_json("{}");
    c.mutate(req);
    v1::PublishResponse resp;
    grpc::Status s = Publish(req, &resp, publisher_);
    EXPECT_NE(s.error_code(), grpc::StatusCode::OK);
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::INVALID_ARGUMENT ||
                (c.name == "org field" && s.error_code() == grpc::StatusCode::PERMISSION_DENIED))
        << s.error_code();
    EXPECT_TRUE(absl::StrContains(s.error_message(), c.needle)) << s.error_message();
  }
  // A batch with one bad event is refused whole, naming its index.
  v1::PublishBatchRequest batch;
  for (int i = 0; i < 3; ++i) {
    v1::PublishRequest* e = batch.add_events();
    e->set_type(i == 2 ? "nope.nope" : "user.login");
  }
  v1::PublishBatchResponse batch_resp;
  grpc::Status s =
      ingest_.stub().PublishBatch(IngestHarness::Context(publisher_).get(), batch, &batch_resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "events[2]")) << s.error_message();
  v1::PublishBatchRequest empty;
  EXPECT_EQ(ingest_.stub()
                .PublishBatch(IngestHarness::Context(publisher_).get(), empty, &batch_resp)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Count("SELECT count(*) FROM events"), "0");
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries"), "0");
  EXPECT_EQ(Count("SELECT count(*) FROM idempotency_keys"), "0");
}

TEST_F(EventIngestTest, BatchCommitsEveryEventInOrder) {
  CreateEndpoint(admin_, "e", {"user.*"});
  v1::PublishBatchRequest batch;
  for (int i = 0; i < 50; ++i) {
    v1::PublishRequest* e = batch.add_events();
    e->set_type(i % 2 ? "user.login" : "mfa.enabled");
    e->set_idempotency_key(i == 49 ? "k0" : absl::StrCat("k", i));  // last repeats the first
  }
  v1::PublishBatchResponse resp;
  grpc::Status s =
      ingest_.stub().PublishBatch(IngestHarness::Context(publisher_).get(), batch, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.results_size(), 50);
  EXPECT_EQ(resp.results(1).fanout(), 1);
  EXPECT_EQ(resp.results(0).fanout(), 0);
  EXPECT_TRUE(resp.results(49).duplicate());
  EXPECT_EQ(resp.results(49).event_id(), resp.results(0).event_id());
  EXPECT_EQ(Count("SELECT count(*) FROM events"), "49");
  EXPECT_EQ(Count("SELECT count(*) FROM deliveries"), "24");  // odd i, but 49 is a duplicate
}

TEST_F(EventIngestTest, EndpointChangesTakeEffectForTheNextPublish) {
  std::string id = CreateEndpoint(admin_, "e", {"user.login"});
  EXPECT_EQ(PublishOk("user.login").fanout(), 1);  // now cached

  v1::Endpoint out;
  v1::PauseEndpointRequest pause;
  pause.set_id(id);
  ASSERT_TRUE(
      registry_.stub().PauseEndpoint(RegistryHarness::Context(admin_).get(), pause, &out).ok());
  EXPECT_EQ(PublishOk("user.login").fanout(), 0);

  v1::ResumeEndpointRequest resume;
  resume.set_id(id);
  ASSERT_TRUE(
      registry_.stub().ResumeEndpoint(RegistryHarness::Context(admin_).get(), resume, &out).ok());
  EXPECT_EQ(PublishOk("user.login").fanout(), 1);

  v1::UpdateEndpointRequest update;
  update.mutable_endpoint()->set_id(id);
  update.mutable_endpoint()->add_event_types("mfa.enabled");
  ASSERT_TRUE(
      registry_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), update, &out).ok());
  EXPECT_EQ(PublishOk("user.login").fanout(), 0);
  EXPECT_EQ(PublishOk("mfa.enabled").fanout(), 1);

  std::string second = CreateEndpoint(admin_, "new", {"mfa.*"});
  EXPECT_EQ(PublishOk("mfa.enabled").fanout(), 2);

  v1::DeleteEndpointRequest del;
  del.set_id(id);
  v1::DeleteEndpointResponse deleted;
  ASSERT_TRUE(
      registry_.stub().DeleteEndpoint(RegistryHarness::Context(admin_).get(), del, &deleted).ok());
  v1::PublishResponse last = PublishOk("mfa.enabled");
  EXPECT_EQ(last.fanout(), 1);
  EXPECT_EQ(Count(absl::StrCat("SELECT endpoint_id FROM deliveries WHERE event_id = '",
                               last.event_id(), "'")),
            second);
}

TEST_F(EventIngestTest, PayloadsAreStoredVerbatimOrRenderedOnce) {
  std::string raw = "{ \"z\": 1.50,\n  \"a\": [\"\\u00e9\", null], \"nested\": {\"k\": true} }";
  v1::PublishRequest req;
  req.set_type("user.login");
  req.set_data_json(raw);
  v1::PublishResponse resp;
  ASSERT_TRUE(Publish(req, &resp, publisher_).ok());
  EXPECT_EQ(Count(absl::StrCat("SELECT payload FROM events WHERE id = '", resp.event_id(), "'")),
            raw);

  v1::PublishRequest structured;
  structured.set_type("user.login");
  auto& fields = *structured.mutable_data()->mutable_fields();
  fields["userId"].set_string_value("u1");
  fields["attempts"].set_number_value(3);
  ASSERT_TRUE(Publish(structured, &resp, publisher_).ok());
  std::string stored =
      Count(absl::StrCat("SELECT payload::jsonb = '{\"userId\":\"u1\",\"attempts\":3}'::jsonb FROM "
                         "events WHERE id = '",
                         resp.event_id(), "'"));
  EXPECT_EQ(stored, "t");
}

TEST_F(EventIngestTest, ScopesAreEnforced) {
  v1::PublishRequest req;
  req.set_type("user.login");
  v1::PublishResponse resp;
  grpc::Status s = Publish(req, &resp, admin_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "publish"));
  EXPECT_EQ(Publish(req, &resp, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  v1::ListEndpointsResponse listed;
  EXPECT_EQ(registry_.stub()
                .ListEndpoints(RegistryHarness::Context(publisher_).get(), {}, &listed)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST(EventIngestMetricsTest, CountsWhatWasPublished) {
  TestDatabase db;
  RegistryHarness registry(db.url());
  IngestHarness ingest(db.url(), /*serve_metrics=*/true);
  std::string admin = registry.MintToken("acme", kScopeAdmin);
  std::string publisher = ingest.MintToken("acme", kScopePublish);
  v1::CreateEndpointRequest create;
  create.set_label("e");
  create.set_url("https://receiver.example.com/");
  create.add_event_types("user.*");
  create.add_event_types("mfa.*");
  v1::CreateEndpointResponse created;
  ASSERT_TRUE(
      registry.stub().CreateEndpoint(RegistryHarness::Context(admin).get(), create, &created).ok());
  v1::PublishRequest req;
  req.set_type("user.login");
  req.set_idempotency_key("once");
  v1::PublishResponse resp;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ingest.stub().Publish(IngestHarness::Context(publisher).get(), req, &resp).ok());
  }
  req.set_type("bad.type");
  EXPECT_FALSE(ingest.stub().Publish(IngestHarness::Context(publisher).get(), req, &resp).ok());

  httplib::Client metrics("127.0.0.1", ingest.metrics_port());
  auto scraped = metrics.Get("/metrics");
  ASSERT_TRUE(scraped);
  const std::string& body = scraped->body;
  EXPECT_TRUE(
      absl::StrContains(body, "argus_webhook_events_published_total{result=\"accepted\"} 1"));
  EXPECT_TRUE(
      absl::StrContains(body, "argus_webhook_events_published_total{result=\"duplicate\"} 2"));
  EXPECT_TRUE(
      absl::StrContains(body, "argus_webhook_events_published_total{result=\"rejected\"} 1"));
  EXPECT_TRUE(absl::StrContains(body, "argus_webhook_fanout_deliveries_total 1"));
  EXPECT_TRUE(absl::StrContains(body, "argus_webhook_publish_seconds_count 3"));
}

// Every hostile value a publisher can send gets INVALID_ARGUMENT and a
// message naming what is wrong: never INTERNAL, never a silent merge.
TEST_F(EventIngestTest, HostileInputIsRefusedWithAMessage) {
  struct Case {
    const char* name;
    std::function<void(v1::PublishRequest&)> set;
    const char* message;
  };
  std::string deep;  // 40 levels, under the size limit
  for (int i = 0; i < 39; ++i) deep += "{\"a\":";
  deep += "{}" + std::string(39, '}');
  for (const Case& c : std::vector<Case>{
           {"key with NUL", [](auto& r) { r.set_idempotency_key(std::string("K\0AAA", 5)); },
            "printable ASCII"},
           {"key with newline", [](auto& r) { r.set_idempotency_key("K\nA"); }, "printable ASCII"},
           {"deep payload", [&](auto& r) { r.set_data_json(deep); }, "nests 40 levels"},
           {"invalid UTF-8 type", [](auto& r) { r.set_type("user.\xff"); },
            "type is not valid UTF-8"},
           {"invalid UTF-8 in Struct data",
            [](auto& r) { (*r.mutable_data()->mutable_fields())["k"].set_string_value("\xc3"); },
            "not valid UTF-8"},
           {"occurred_at beyond year 9999",
            [](auto& r) {
              r.mutable_occurred_at()->set_seconds(std::numeric_limits<int64_t>::max());
            },
            "occurred_at is not a valid timestamp"}}) {
    v1::PublishRequest req;
    req.set_type("user.login");
    c.set(req);
    v1::PublishResponse resp;
    grpc::Status s = Publish(req, &resp, publisher_);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << c.name << ": " << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), c.message))
        << c.name << ": " << s.error_message();
  }
  // Keys that differ only after a NUL were one key once: now each is refused,
  // and nothing was stored.
  EXPECT_EQ(Count("SELECT count(*) FROM events"), "0");
}

TEST_F(EventIngestTest, NumbersBeyondDoubleRangeAreRefusedPreciseOnesKeptVerbatim) {
  v1::PublishRequest req;
  req.set_type("user.login");
  req.set_data_json(R"({"big":1e400})");
  v1::PublishResponse resp;
  grpc::Status s = Publish(req, &resp, publisher_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "beyond the range of a double"))
      << s.error_message();
  req.set_data_json(R"({"precise":0.1000000000000000000000001,"tiny":1e-400})");
  ASSERT_TRUE(Publish(req, &resp, publisher_).ok());
  EXPECT_EQ(Count(absl::StrCat("SELECT payload FROM events WHERE id = '", resp.event_id(), "'")),
            R"({"precise":0.1000000000000000000000001,"tiny":1e-400})");
}

TEST_F(EventIngestTest, AFloodOfBadTokensCostsNoLookupAfterTheFirst) {
  v1::PublishRequest req;
  req.set_type("user.login");
  v1::PublishResponse resp;
  ASSERT_EQ(Publish(req, &resp, "argus_not-a-real-token").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  absl::Time primed = absl::Now();
  // With the token table locked, any look-up would block until the call's
  // deadline: every refusal below comes from the negative cache.
  pqxx::connection locker(db_.url());
  pqxx::work lock(locker);
  lock.exec("LOCK TABLE api_tokens IN ACCESS EXCLUSIVE MODE");
  int calls = 0;
  while (calls < 100 && absl::Now() - primed < absl::Seconds(1)) {
    EXPECT_EQ(Publish(req, &resp, "argus_not-a-real-token").error_code(),
              grpc::StatusCode::UNAUTHENTICATED);
    ++calls;
  }
  lock.abort();
  EXPECT_GT(calls, 0);
}

}  // namespace
}  // namespace argus
