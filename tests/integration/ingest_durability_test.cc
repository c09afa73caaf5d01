// event-ingest as a process: OK means committed, also when the process is
// killed right after answering; a database outage is UNAVAILABLE (never OK)
// and the service recovers without a restart.
#include <gtest/gtest.h>
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "argus/webhooks/v1/event_ingest.grpc.pb.h"
#include "services/endpoint-registry/registry_harness.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/process.h"
#include "tests/support/service_harness.h"
#include "tests/support/test_database.h"

namespace argus {
namespace {

using namespace argus::testing;

class IngestDurabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDatabase>(cluster_.admin_url());
    registry_ = std::make_unique<RegistryHarness>(db_->url());
    std::string admin = registry_->MintToken("acme", kScopeAdmin);
    v1::CreateEndpointRequest create;
    create.set_label("siem");
    create.set_url("https://siem.example.com/");
    create.add_event_types("user.*");
    v1::CreateEndpointResponse created;
    ASSERT_TRUE(registry_->stub()
                    .CreateEndpoint(RegistryHarness::Context(admin).get(), create, &created)
                    .ok());

    CommandResult minted =
        RunCommand({ARGUSCTL_BINARY, "token", "create", "--org", "acme", "--scope", "publish"},
                   {absl::StrCat("ARGUS_DATABASE_URL=", db_->url())});
    ASSERT_EQ(minted.exit_code, 0) << minted.err;
    token_ = std::string(absl::StripAsciiWhitespace(minted.out));
    StartIngest();
  }

  void StartIngest() {
    address_ = absl::StrCat("127.0.0.1:", FreeTcpPort());
    ingest_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{INGEST_BINARY, "--grpc_listen", address_, "--metrics_listen",
                                 absl::StrCat("127.0.0.1:", FreeTcpPort())},
        std::vector<std::string>{absl::StrCat("ARGUS_DATABASE_URL=", db_->url())});
    ASSERT_TRUE(WaitUntilServing(address_, absl::Seconds(20))) << ingest_->Stderr();
    stub_ =
        v1::EventIngest::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
  }

  grpc::Status Publish(const std::string& key, v1::PublishResponse* resp) {
    v1::PublishRequest req;
    req.set_type("user.login");
    req.set_idempotency_key(key);
    req.set_data_json(R"({"userId":"u1"})");
    return stub_->Publish(ServiceHarness::Context(token_).get(), req, resp);
  }

  PgCluster cluster_;
  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<RegistryHarness> registry_;
  std::string token_;
  std::string address_;
  std::unique_ptr<ChildProcess> ingest_;
  std::unique_ptr<v1::EventIngest::Stub> stub_;
};

TEST_F(IngestDurabilityTest, DatabaseOutageIsUnavailableThenRecovers) {
  v1::PublishResponse resp;
  ASSERT_TRUE(Publish("before", &resp).ok());

  cluster_.Stop();
  for (int i = 0; i < 5; ++i) {
    grpc::Status s = Publish(absl::StrCat("during-", i), &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  }
  cluster_.Start();
  grpc::Status after;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    after = Publish("after", &resp);
    if (after.ok()) break;
    EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAVAILABLE) << after.error_message();
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  ASSERT_TRUE(after.ok()) << after.error_message();
  EXPECT_EQ(resp.fanout(), 1);
  EXPECT_TRUE(ingest_->Running());  // never restarted
  // Nothing published during the outage was stored.
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'during-%'"),
            "0");
  EXPECT_EQ(db_->QueryValue("SELECT count(*) FROM events"), "2");
}

TEST_F(IngestDurabilityTest, AcknowledgedEventsSurviveSigkill) {
  std::vector<std::string> acknowledged;
  for (int i = 0; i < 40; ++i) {
    v1::PublishResponse resp;
    grpc::Status s = Publish(absl::StrCat("k", i), &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    acknowledged.push_back(resp.event_id());
  }
  ingest_->Signal(SIGKILL);  // at once after the last OK
  ASSERT_EQ(ingest_->Wait(absl::Seconds(10)), 128 + SIGKILL);
  for (const std::string& id : acknowledged) {
    EXPECT_EQ(db_->QueryValue(absl::StrCat(
                  "SELECT count(*) FROM events e JOIN deliveries d ON d.event_id = e.id "
                  "WHERE e.id = '",
                  id, "'")),
              "1")
        << id;
  }
  // A restarted ingest answers retries of acknowledged keys as duplicates.
  StartIngest();
  v1::PublishResponse again;
  ASSERT_TRUE(Publish("k39", &again).ok());
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.event_id(), acknowledged.back());
}

}  // namespace
}  // namespace argus
