// Hostile receivers, tenants and clients, end to end: all binaries as
// processes, real HTTPS receivers. Nothing a receiver answers or a tenant
// publishes may stop, crash or stall delivery for anyone else; every bad
// input gets a clear error; health tells the truth.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/page_token.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/e2e_fixture.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/service_harness.h"

namespace argus {
namespace {

namespace v1 = ::argus::webhooks::v1;
using grpc::health::v1::HealthCheckResponse;

// Ends an INSERT INTO deliveries written as the CTE `d`: the rows go into
// the queue too, as event-ingest writes them.
constexpr char kQueued[] =
    "RETURNING id, bucket_at, event_id, endpoint_id) "
    "INSERT INTO delivery_queue (delivery_id, bucket_at, event_id, endpoint_id) "
    "SELECT * FROM d RETURNING 1";
using testing::E2eTest;
using testing::HttpsReceiver;
using testing::Reply;
using testing::ServiceHarness;

HealthCheckResponse::ServingStatus Health(const std::string& address) {
  auto stub = grpc::health::v1::Health::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  grpc::health::v1::HealthCheckRequest request;
  HealthCheckResponse response;
  grpc::Status s = stub->Check(&context, request, &response);
  return s.ok() ? response.status() : HealthCheckResponse::UNKNOWN;
}

// A process's memory figure from /proc (VmRSS, VmHWM), in KiB.
int64_t MemoryKiB(pid_t pid, const std::string& field) {
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    if (!absl::StartsWith(line, field + ":")) continue;
    int64_t kib = 0;
    std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kib)) return kib;
  }
  return -1;
}

class PoisonE2eTest : public E2eTest {
 protected:
  std::string CreateEndpointAs(const std::string& token, const std::string& url,
                               std::map<std::string, std::string> headers = {}) {
    v1::CreateEndpointRequest req;
    req.set_label("poison");
    req.set_url(url);
    req.add_event_types("user.*");
    req.mutable_headers()->insert(headers.begin(), headers.end());
    req.add_retry_schedule()->set_nanos(200000000);
    v1::CreateEndpointResponse resp;
    grpc::Status s =
        suite_->registry().CreateEndpoint(ServiceHarness::Context(token).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.endpoint().id();
  }

  std::string PublishAs(const std::string& token, const std::string& data_json = "{}") {
    v1::PublishRequest req;
    req.set_type("user.login");
    req.set_data_json(data_json);
    v1::PublishResponse resp;
    grpc::Status s = suite_->ingest().Publish(ServiceHarness::Context(token).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.event_id();
  }

  void ExpectEveryServiceRunning() {
    for (auto& [address, process] : suite_->Services()) {
      EXPECT_TRUE(process->Running()) << address << " exited:\n" << process->Stderr();
    }
  }
};

TEST_F(PoisonE2eTest, ReceiverBytesNeverStopAnyonesResults) {
  // Requests may take their time on a busy machine: a timeout would be a
  // (correct) retry, and this test counts every delivery once.
  StartSuite(/*deliverers=*/2, {"--request_timeout", "10s", "--lease", "30s"});
  // What receivers really send back: not UTF-8, a NUL, a character cut by the
  // 1 KiB limit, an HTML error page in Latin-1.
  const std::vector<std::string> bodies = {std::string("\xff\xfe not text", 11),
                                           std::string("nul\0here", 8),
                                           std::string(1023, 'x') + "\xe2\x82\xac",
                                           "<html><body>502 Bad Gateway \xe9t\xe9</body></html>"};
  std::vector<std::string> poison;
  for (size_t i = 0; i < bodies.size(); ++i) {
    std::string path = absl::StrCat("/poison", i);
    receiver_.Script(path, {{.status = 200, .body = bodies[i]}});
    poison.push_back(CreateEndpointAs(suite_->admin_token(), receiver_.Url(path),
                                      {{"x-empty", ""}, {"x-team", "soc"}}));
  }
  // Another org, its own receiver.
  HttpsReceiver other(ca_);
  std::string globex_admin = suite_->MintToken("globex", "admin");
  std::string globex_publish = suite_->MintToken("globex", "publish");
  std::string globex_endpoint = CreateEndpointAs(globex_admin, other.Url("/other"));
  // Meanwhile acme also publishes the deepest payload it can (refused) and
  // has one stored from before the limit, for its Slack endpoint to render.
  std::string slack =
      CreateEndpoint(receiver_.Url("/slack"), {"session.created"}, {"0.2s"}, v1::SLACK).id;
  std::string deep = R"({"x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  std::vector<std::string> globex_events;
  for (int i = 0; i < 10; ++i) {
    PublishAs(suite_->publish_token(), absl::StrCat(R"({"n":)", i, "}"));
    globex_events.push_back(PublishAs(globex_publish, absl::StrCat(R"({"n":)", i, "}")));
    v1::PublishRequest too_deep;
    too_deep.set_type("user.login");
    too_deep.set_data_json(deep);
    v1::PublishResponse refused;
    EXPECT_EQ(
        suite_->ingest()
            .Publish(ServiceHarness::Context(suite_->publish_token()).get(), too_deep, &refused)
            .error_code(),
        grpc::StatusCode::INVALID_ARGUMENT);
  }
  Sql(
      absl::StrCat("WITH ev AS (INSERT INTO events (org_id, type, occurred_at, payload) SELECT id, "
                   "'session.created', now(), '",
                   deep,
                   "' FROM orgs WHERE slug = 'acme' "
                   "RETURNING id, org_id, bucket_at), "
                   "d AS (INSERT INTO deliveries (event_id, endpoint_id, org_id, bucket_at) "
                   "SELECT ev.id, '",
                   slack, "', ev.org_id, ev.bucket_at FROM ev ", kQueued));
  Sql("SELECT pg_notify('argus_deliveries', '')");

  // Every delivery of both orgs is recorded as succeeded...
  ASSERT_TRUE(
      WaitUntil([&] { return Sql("SELECT count(*) FROM deliveries WHERE state = 3") == "51"; },
                absl::Seconds(60)))
      << Sql("SELECT string_agg(state::text, ',') FROM deliveries") << "\n"
      << Sql("SELECT string_agg(DISTINCT error || ':' || status_code, ',') "
             "FROM delivery_attempts");
  // ...and the other org got each of its events exactly once.
  ASSERT_TRUE(other.WaitFor("/other", globex_events.size(), absl::Seconds(10)));
  std::map<std::string, int> seen;
  for (const auto& r : other.Received("/other")) ++seen[r.headers.at("argus-delivery")];
  for (const std::string& id : globex_events) EXPECT_EQ(seen[id], 1) << id;

  // The bodies are stored as valid text, cut at a character boundary.
  EXPECT_EQ(
      Sql("SELECT count(*) FROM delivery_attempts WHERE strpos(response_body, chr(65533)) > 0"),
      "30");
  EXPECT_EQ(Sql(absl::StrCat("SELECT max(octet_length(response_body)) FROM delivery_attempts a "
                             "JOIN deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = '",
                             poison[2], "'")),
            "1023");
  // The delivery log reads them back.
  v1::ListDeliveriesRequest list;
  list.set_endpoint_id(poison[1]);
  v1::ListDeliveriesResponse listed;
  ASSERT_TRUE(
      suite_->registry()
          .ListDeliveries(ServiceHarness::Context(suite_->admin_token()).get(), list, &listed)
          .ok());
  ASSERT_GT(listed.deliveries_size(), 0);
  v1::GetDeliveryRequest get;
  get.set_id(listed.deliveries(0).id());
  v1::Delivery delivery;
  grpc::Status s = suite_->registry().GetDelivery(
      ServiceHarness::Context(suite_->admin_token()).get(), get, &delivery);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_GT(delivery.attempts_size(), 0);
  EXPECT_TRUE(absl::StartsWith(delivery.attempts(0).response_body(), "nul\xef\xbf\xbdhere"));

  std::vector<testing::ReceivedRequest> got = receiver_.Received("/poison0");
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(got[0].headers.at("x-team"), "soc");
  ExpectEveryServiceRunning();
}

// The bytes of one HTTP request, read by hand (the test HTTPS server drops
// headers with empty values), answered 200.
std::string ServeOneRawRequest(int listener) {
  int fd = accept(listener, nullptr, nullptr);
  if (fd < 0) return "";
  std::string request;
  char buf[4096];
  while (request.find("\r\n\r\n") == std::string::npos && request.size() < (1 << 20)) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    request.append(buf, static_cast<size_t>(n));
  }
  const char kOk[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  (void)!write(fd, kOk, sizeof(kOk) - 1);
  close(fd);
  return request;
}

TEST_F(PoisonE2eTest, AnEmptyHeaderValueIsSentAsAnEmptyHeader) {
  StartSuite(/*deliverers=*/1, {"--allow_insecure_targets"});
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string endpoint = CreateEndpointAs(suite_->admin_token(), receiver_.Url("/raw"),
                                          {{"x-empty", ""}, {"x-team", "soc"}});
  Sql(absl::StrCat("UPDATE endpoints SET url = 'http://127.0.0.1:", ntohs(addr.sin_port),
                   "/raw' WHERE id = '", endpoint, "' RETURNING 1"));
  std::string event = PublishAs(suite_->publish_token());
  std::string request = ServeOneRawRequest(listener);
  close(listener);
  EXPECT_TRUE(absl::StrContains(request, "\r\nx-empty:\r\n")) << request;
  EXPECT_TRUE(absl::StrContains(request, "\r\nx-team: soc\r\n")) << request;
  EXPECT_TRUE(WaitForState(event, endpoint, "3", absl::Seconds(20)));
}

TEST_F(PoisonE2eTest, DeepPayloadsAreRefusedAndStoredOnesCrashNothing) {
  StartSuite(/*deliverers=*/1, {}, /*debouncers=*/1);
  std::string slack =
      CreateEndpoint(receiver_.Url("/slack"), {"session.created"}, {}, v1::SLACK).id;
  std::string discord =
      CreateEndpoint(receiver_.Url("/discord"), {"session.created"}, {}, v1::DISCORD).id;
  CreateEndpoint(receiver_.Url("/rollups"), {"test_session.completed"});
  // The deepest payload under the size limit: 100,000 nested arrays.
  std::string deep =
      R"({"sessionName":"deep","x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  v1::PublishRequest req;
  req.set_type("session.created");
  req.set_data_json(deep);
  v1::PublishResponse resp;
  grpc::Status s =
      suite_->ingest().Publish(ServiceHarness::Context(suite_->publish_token()).get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "nests 100001 levels")) << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "at most 32")) << s.error_message();

  // One stored before the limit existed, with deliveries to Slack and Discord
  // (whose renderers read the payload) and in the debouncer's path.
  std::string event = Sql(absl::StrCat(
      "INSERT INTO events (org_id, project, type, occurred_at, payload) SELECT id, 'mygame', "
      "'session.created', now(), '",
      deep, "' FROM orgs WHERE slug = 'acme' RETURNING id"));
  ASSERT_FALSE(event.empty());
  Sql(
      absl::StrCat("WITH d AS (INSERT INTO deliveries (event_id, endpoint_id, org_id, bucket_at) "
                   "SELECT e.id, ep.id, e.org_id, e.bucket_at FROM events e, endpoints ep "
                   "WHERE e.id = '",
                   event, "' AND ep.id IN ('", slack, "', '", discord, "') ", kQueued));
  Sql("SELECT pg_notify('argus_deliveries', '')");
  ASSERT_TRUE(WaitForState(event, slack, "3", absl::Seconds(20))) << suite_->AllLogs();
  ASSERT_TRUE(WaitForState(event, discord, "3", absl::Seconds(20)));
  // The debouncer saw it (counted into no session) and goes on rolling up.
  ASSERT_TRUE(WaitUntil(
      [&] {
        return Sql(absl::StrCat("SELECT count(*) FROM test_session_captures WHERE event_id = '",
                                event, "'")) == "1";
      },
      absl::Seconds(20)));
  Publish("session.created", R"({"sessionName":"after","averageFps":50})", "mygame");
  ASSERT_TRUE(receiver_.WaitFor("/rollups", 1, absl::Seconds(30))) << suite_->AllLogs();
  ExpectEveryServiceRunning();
}

TEST_F(PoisonE2eTest, ADeliveryThatKeepsKillingItsDelivererIsQuarantined) {
  // The request timeout leaves the test time to kill a replica with the
  // request on the wire, before a timeout would be recorded.
  StartSuite(/*deliverers=*/1, {"--request_timeout", "3s", "--lease", "6s"});
  receiver_.Script("/killer", {{.hang = true}});
  std::string endpoint = CreateEndpoint(receiver_.Url("/killer"), {"user.*"}).id;
  std::string event = Publish("user.login");
  // Each replica that sends it dies with the request on the wire (as if the
  // delivery crashed it); another takes the lease over once it expires.
  int current = 0;
  size_t sent = 0;
  for (int kills = 0; kills < 6; ++kills) {
    ASSERT_TRUE(WaitUntil(
        [&] { return receiver_.Count("/killer") > sent || DeliveryState(event, endpoint) == "4"; },
        absl::Seconds(30)));
    if (DeliveryState(event, endpoint) == "4") break;
    sent = receiver_.Count("/killer");
    suite_->deliverer(current).Signal(SIGKILL);
    ASSERT_TRUE(suite_->deliverer(current).Wait(absl::Seconds(10)).has_value());
    current = suite_->StartDeliverer();
  }
  ASSERT_TRUE(WaitForState(event, endpoint, "4", absl::Seconds(30)));
  EXPECT_GE(sent, 3u);
  EXPECT_EQ(Sql("SELECT last_error FROM deliveries"), "poison");

  // The delivery log says what happened, and the metric counts it.
  v1::ListDeliveriesRequest list;
  list.set_endpoint_id(endpoint);
  v1::ListDeliveriesResponse listed;
  ASSERT_TRUE(
      suite_->registry()
          .ListDeliveries(ServiceHarness::Context(suite_->admin_token()).get(), list, &listed)
          .ok());
  ASSERT_EQ(listed.deliveries_size(), 1);
  EXPECT_EQ(listed.deliveries(0).status(), v1::FAILED);
  v1::GetDeliveryRequest get;
  get.set_id(listed.deliveries(0).id());
  v1::Delivery delivery;
  ASSERT_TRUE(suite_->registry()
                  .GetDelivery(ServiceHarness::Context(suite_->admin_token()).get(), get, &delivery)
                  .ok());
  ASSERT_GT(delivery.attempts_size(), 0);
  const v1::DeliveryAttempt& last = delivery.attempts(delivery.attempts_size() - 1);
  EXPECT_EQ(last.error(), "poison");
  EXPECT_TRUE(absl::StrContains(last.response_body(), "without a recorded result"));
  EXPECT_TRUE(absl::StrContains(
      suite_->DelivererMetrics(current),
      "argus_webhook_delivery_attempts_total{format=\"native\",result=\"poison\"} 1"));

  // The replica that quarantined it goes on delivering.
  HttpsReceiver healthy(ca_);
  std::string fine = CreateEndpoint(healthy.Url("/fine"), {"user.*"}).id;
  std::string next = Publish("user.login");
  EXPECT_TRUE(WaitForState(next, fine, "3", absl::Seconds(20)));
  receiver_.ReleaseHangs();
}

TEST_F(PoisonE2eTest, OnlyOperatorsDrainAndADrainedReplicaIsNotServing) {
  StartSuite(/*deliverers=*/2);
  std::string replica0 = suite_->Services()[2].first;
  std::string replica1 = suite_->Services()[3].first;
  v1::DrainResponse drained;
  EXPECT_EQ(suite_->DelivererStub(0)
                ->Drain(ServiceHarness::Context(suite_->admin_token()).get(), {}, &drained)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Health(replica0), HealthCheckResponse::SERVING);
  grpc::Status s = suite_->DelivererStub(0)->Drain(
      ServiceHarness::Context(suite_->operator_token()).get(), {}, &drained);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(drained.status().draining());
  EXPECT_TRUE(WaitUntil([&] { return Health(replica0) == HealthCheckResponse::NOT_SERVING; },
                        absl::Seconds(5)));
  EXPECT_EQ(Health(replica1), HealthCheckResponse::SERVING);
  // The other replica delivers alone.
  std::string endpoint = CreateEndpoint(receiver_.Url("/after-drain"), {"user.*"}).id;
  EXPECT_TRUE(WaitForState(Publish("user.login"), endpoint, "3", absl::Seconds(20)));
}

TEST_F(PoisonE2eTest, HealthFollowsTheDatabase) {
  testing::PgCluster cluster;  // started
  testing::TestDatabase own(cluster.admin_url());
  testing::Suite suite(own.url(), {.deliverer_flags = {"--poll_interval", "200ms"},
                                   .debouncer_flags = {"--quiet_window", "2s"},
                                   .debouncers = 1});
  auto all = [&](HealthCheckResponse::ServingStatus want) {
    for (const auto& [address, process] : suite.Services()) {
      if (Health(address) != want) return false;
    }
    return true;
  };
  ASSERT_TRUE(all(HealthCheckResponse::SERVING));
  cluster.Stop();
  EXPECT_TRUE(WaitUntil([&] { return all(HealthCheckResponse::NOT_SERVING); }, absl::Seconds(20)));
  cluster.Start();
  EXPECT_TRUE(WaitUntil([&] { return all(HealthCheckResponse::SERVING); }, absl::Seconds(30)));
  // Working again, without a restart.
  v1::PublishRequest req;
  req.set_type("user.login");
  v1::PublishResponse resp;
  EXPECT_TRUE(WaitUntil(
      [&] {
        return suite.ingest()
            .Publish(ServiceHarness::Context(suite.publish_token()).get(), req, &resp)
            .ok();
      },
      absl::Seconds(20)));
  for (const auto& [address, process] : suite.Services()) EXPECT_TRUE(process->Running());
}

TEST_F(PoisonE2eTest, MetricsAnswerBesideIdleConnections) {
  StartSuite(/*deliverers=*/1);
  for (const auto& [job, port] : suite_->MetricsTargets()) {
    // A handful of clients that connect and say nothing.
    std::vector<int> idle;
    for (int i = 0; i < 4; ++i) {
      int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(static_cast<uint16_t>(port));
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
      idle.push_back(fd);
    }
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(10, 0);  // an idle connection held civetweb's threads for 30 s
    auto res = client.Get("/metrics");
    EXPECT_TRUE(res && res->status == 200) << job << " /metrics did not answer";
    for (int fd : idle) close(fd);
  }
}

TEST_F(PoisonE2eTest, AStoredTargetTheDelivererForbidsIsRefusedForGood) {
  StartSuite(/*deliverers=*/1);  // https only: no --allow_insecure_targets
  std::string endpoint = CreateEndpoint(receiver_.Url("/plain"), {"user.*"}).id;
  // Stored when the policy allowed it (or by hand): plain http.
  Sql(absl::StrCat("UPDATE endpoints SET url = 'http://127.0.0.1:", receiver_.port(),
                   "/plain' WHERE id = '", endpoint, "' RETURNING 1"));
  std::string event = Publish("user.login");
  ASSERT_TRUE(WaitForState(event, endpoint, "4", absl::Seconds(20)));
  EXPECT_EQ(Sql("SELECT count(*) FROM delivery_attempts"), "1");  // no retry
  EXPECT_EQ(Sql("SELECT error FROM delivery_attempts"), "ssrf_blocked");
  EXPECT_TRUE(absl::StrContains(Sql("SELECT response_body FROM delivery_attempts"), "https"));
}

TEST_F(PoisonE2eTest, AWeakOrPlaceholderInternalTokenStopsTheService) {
  StartSuite(/*deliverers=*/1);
  for (const auto& [token, says] : std::vector<std::pair<std::string, std::string>>{
           {"REPLACE_WITH_openssl_rand_hex_32", "placeholder"}, {"short-secret", "at least 32"}}) {
    std::vector<std::string> env = suite_->Env();
    env.push_back("ARGUS_INTERNAL_TOKEN=" + token);
    testing::CommandResult r = testing::RunCommand(
        {INGEST_BINARY_FOR_TESTS, "--grpc_listen", "127.0.0.1:0", "--metrics_listen", ""}, env,
        absl::Seconds(30));
    EXPECT_NE(r.exit_code, 0) << token;
    EXPECT_TRUE(absl::StrContains(r.err, says)) << r.err;
    EXPECT_FALSE(absl::StrContains(r.err, token)) << "the token is echoed";
  }
}

TEST_F(PoisonE2eTest, ARevokedTokenStopsWorkingWithinFiveSeconds) {
  StartSuite(/*deliverers=*/1);
  testing::CommandResult created =
      testing::RunCommand({ARGUSCTL_BINARY_FOR_TESTS, "token", "create", "--org", "acme", "--scope",
                           "admin", "--label", "to-revoke"},
                          suite_->Env());
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string token(absl::StripAsciiWhitespace(created.out));
  v1::ListEndpointsResponse listed;
  ASSERT_TRUE(
      suite_->registry().ListEndpoints(ServiceHarness::Context(token).get(), {}, &listed).ok());
  testing::CommandResult list =
      testing::RunCommand({ARGUSCTL_BINARY_FOR_TESTS, "token", "list"}, suite_->Env());
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_FALSE(absl::StrContains(list.out, token));
  std::string id;
  for (absl::string_view line : absl::StrSplit(list.out, '\n')) {
    if (absl::StrContains(line, "to-revoke")) id = std::string(line.substr(0, line.find('\t')));
  }
  ASSERT_FALSE(id.empty()) << list.out;
  testing::CommandResult revoked =
      testing::RunCommand({ARGUSCTL_BINARY_FOR_TESTS, "token", "revoke", id}, suite_->Env());
  ASSERT_EQ(revoked.exit_code, 0) << revoked.err;
  absl::Time at = absl::Now();
  EXPECT_TRUE(WaitUntil(
      [&] {
        return suite_->registry()
                   .ListEndpoints(ServiceHarness::Context(token).get(), {}, &listed)
                   .error_code() == grpc::StatusCode::UNAUTHENTICATED;
      },
      absl::Seconds(5)));
  std::cout << "revoked token refused after " << absl::FormatDuration(absl::Now() - at) << "\n";
}

TEST_F(PoisonE2eTest, InvalidUtf8IsInvalidArgumentWithoutALogLine) {
  StartSuite(/*deliverers=*/1, {}, /*debouncers=*/1);
  v1::PublishRequest publish;
  publish.set_type("user.\xff");
  v1::PublishResponse published;
  grpc::Status s = suite_->ingest().Publish(ServiceHarness::Context(suite_->publish_token()).get(),
                                            publish, &published);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "type is not valid UTF-8")) << s.error_message();
  v1::GetEndpointRequest get;
  get.set_id("\xc3\x28");
  v1::Endpoint endpoint;
  s = suite_->registry().GetEndpoint(ServiceHarness::Context(suite_->admin_token()).get(), get,
                                     &endpoint);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  v1::ListOpenSessionsRequest sessions;
  sessions.set_project("\xe2\x28\xa1");
  v1::ListOpenSessionsResponse open;
  s = suite_->DebouncerStub(0)->ListOpenSessions(
      ServiceHarness::Context(suite_->admin_token()).get(), sessions, &open);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(absl::StrContains(s.error_message(), "project is not valid UTF-8"));
  // Unauthenticated, too: refused before anything else.
  s = suite_->ingest().Publish(ServiceHarness::Context("").get(), publish, &published);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  std::string logs = suite_->AllLogs();
  EXPECT_FALSE(absl::StrContains(logs, "UTF-8")) << logs;
  EXPECT_FALSE(absl::StrContains(logs, "sql error")) << logs;
}

TEST_F(PoisonE2eTest, UnauthenticatedFloodKeepsIngestMemoryBounded) {
  StartSuite(/*deliverers=*/1);
  // 15 events of 250 KB: a 3.75 MiB batch, sent 200 times at once with no token.
  v1::PublishBatchRequest batch;
  for (int i = 0; i < 15; ++i) {
    v1::PublishRequest* e = batch.add_events();
    e->set_type("user.login");
    e->set_data_json(absl::StrCat(R"({"pad":")", std::string(250000, 'a'), "\"}"));
  }
  pid_t ingest = suite_->ingest_process().pid();
  int64_t before = MemoryKiB(ingest, "VmRSS");
  auto stub = v1::EventIngest::NewStub(
      grpc::CreateChannel(suite_->IngestAddress(), grpc::InsecureChannelCredentials()));
  constexpr int kCalls = 200;
  grpc::CompletionQueue cq;
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<v1::PublishBatchResponse> responses(kCalls);
  std::vector<grpc::Status> statuses(kCalls);
  std::vector<std::unique_ptr<grpc::ClientAsyncResponseReader<v1::PublishBatchResponse>>> calls;
  for (int i = 0; i < kCalls; ++i) {
    contexts.push_back(std::make_unique<grpc::ClientContext>());
    contexts.back()->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    calls.push_back(stub->AsyncPublishBatch(contexts.back().get(), batch, &cq));
    calls.back()->Finish(&responses[i], &statuses[i],
                         reinterpret_cast<void*>(static_cast<intptr_t>(i)));
  }
  std::map<grpc::StatusCode, int> codes;
  for (int i = 0; i < kCalls; ++i) {
    void* tag = nullptr;
    bool ok = false;
    ASSERT_TRUE(cq.Next(&tag, &ok));
    ++codes[statuses[reinterpret_cast<intptr_t>(tag)].error_code()];
  }
  cq.Shutdown();
  EXPECT_EQ(codes[grpc::StatusCode::UNAUTHENTICATED], kCalls);
  int64_t peak = MemoryKiB(ingest, "VmHWM");
  int64_t after = MemoryKiB(ingest, "VmRSS");
  std::cout << "event-ingest RSS before " << before / 1024 << " MiB, peak " << peak / 1024
            << " MiB, after " << after / 1024 << " MiB (" << kCalls
            << " x 3.75 MiB unauthenticated)\n";
  // 200 x 3.75 MiB is 750 MiB sent; the server holds a bounded part of it.
  EXPECT_LT(peak, 400 * 1024);
  EXPECT_TRUE(suite_->ingest_process().Running());
}

}  // namespace
}  // namespace argus
