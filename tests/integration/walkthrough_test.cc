// The README's grpcurl walk-through against the real binaries: argusctl mints
// tokens, endpoint-registry and event-ingest run as processes, and every call
// goes through a reflection client (argus-grpcurl) with no proto files.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/support/process.h"
#include "tests/support/service_harness.h"
#include "tests/support/test_database.h"

namespace argus {
namespace {

using testing::ChildProcess;
using testing::CommandResult;
using testing::RunCommand;
using testing::TestDatabase;

constexpr char kSecretKey[] = "ARGUS_SECRET_KEY=vPFH8MlGDn0zbitEqCpd17kGHcApiOrJN51vz1Llcuc=";

class WalkthroughTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_env_ = absl::StrCat("ARGUS_DATABASE_URL=", db_.url());
    CommandResult minted = RunCommand(
        {ARGUSCTL_BINARY, "token", "create", "--org", "acme", "--scope", "admin"}, {db_env_});
    ASSERT_EQ(minted.exit_code, 0) << minted.err;
    token_ = std::string(absl::StripAsciiWhitespace(minted.out));
    ASSERT_TRUE(absl::StartsWith(token_, "argus_")) << "stdout must hold only the token";
    EXPECT_FALSE(absl::StrContains(minted.err, token_));
    CommandResult publish = RunCommand(
        {ARGUSCTL_BINARY, "token", "create", "--org", "acme", "--scope", "publish"}, {db_env_});
    ASSERT_EQ(publish.exit_code, 0) << publish.err;
    publish_token_ = std::string(absl::StripAsciiWhitespace(publish.out));

    ingest_address_ = absl::StrCat("127.0.0.1:", testing::FreeTcpPort());
    ingest_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{INGEST_BINARY, "--grpc_listen", ingest_address_,
                                 "--metrics_listen",
                                 absl::StrCat("127.0.0.1:", testing::FreeTcpPort())},
        std::vector<std::string>{db_env_});

    address_ = absl::StrCat("127.0.0.1:", testing::FreeTcpPort());
    registry_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{REGISTRY_BINARY, "--grpc_listen", address_, "--metrics_listen",
                                 absl::StrCat("127.0.0.1:", testing::FreeTcpPort())},
        std::vector<std::string>{db_env_, kSecretKey});
    // Wait, with a deadline, until health answers SERVING.
    absl::Time deadline = absl::Now() + absl::Seconds(20);
    CommandResult health;
    do {
      health = Grpcurl({"grpc.health.v1.Health/Check"}, "", /*auth=*/false);
      if (absl::StrContains(health.out, "SERVING")) break;
      absl::SleepFor(absl::Milliseconds(50));
    } while (absl::Now() < deadline && registry_->Running());
    ASSERT_TRUE(absl::StrContains(health.out, "\"SERVING\"")) << registry_->Stderr();
  }

  CommandResult Grpcurl(std::vector<std::string> rest, const std::string& data = "",
                        bool auth = true) {
    return GrpcurlAt(address_, auth ? token_ : "", std::move(rest), data);
  }

  CommandResult GrpcurlAt(const std::string& address, const std::string& token,
                          std::vector<std::string> rest, const std::string& data) {
    std::vector<std::string> argv = {GRPCURL_BINARY, "-plaintext"};
    if (!token.empty()) {
      argv.push_back("-H");
      argv.push_back(absl::StrCat("authorization: Bearer ", token));
    }
    if (!data.empty()) {
      argv.push_back("-d");
      argv.push_back(data);
    }
    argv.push_back(address);
    argv.insert(argv.end(), rest.begin(), rest.end());
    return RunCommand(argv);
  }

  nlohmann::json Call(const std::string& method, const std::string& data) {
    CommandResult r = Grpcurl({absl::StrCat("argus.webhooks.v1.EndpointRegistry/", method)}, data);
    EXPECT_EQ(r.exit_code, 0) << method << ": " << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  }

  TestDatabase db_;
  std::string db_env_;
  std::string token_;
  std::string publish_token_;
  std::string address_;
  std::string ingest_address_;
  std::unique_ptr<ChildProcess> registry_;
  std::unique_ptr<ChildProcess> ingest_;
};

TEST_F(WalkthroughTest, ReflectionListsTheServices) {
  CommandResult list = Grpcurl({"list"}, "", false);
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_TRUE(absl::StrContains(list.out, "argus.webhooks.v1.EndpointRegistry\n"));
  EXPECT_TRUE(absl::StrContains(list.out, "grpc.health.v1.Health\n"));
  CommandResult methods = Grpcurl({"list", "argus.webhooks.v1.EndpointRegistry"}, "", false);
  EXPECT_TRUE(absl::StrContains(methods.out, "argus.webhooks.v1.EndpointRegistry.CreateEndpoint"));
  CommandResult described = Grpcurl({"describe", "argus.webhooks.v1.Endpoint"}, "", false);
  EXPECT_TRUE(absl::StrContains(described.out, "retry_schedule")) << described.err;
}

TEST_F(WalkthroughTest, CreateListUpdatePauseResumeDelete) {
  nlohmann::json created = Call("CreateEndpoint", R"({
      "label": "SOC SIEM", "url": "https://siem.example.com/argus",
      "eventTypes": ["security.*", "user.login"],
      "headers": {"Authorization": "Bearer siem-ingest-token"},
      "retrySchedule": ["60s", "300s", "900s"]})");
  std::string id = created["endpoint"]["id"];
  std::string secret = created["signingSecret"];
  EXPECT_TRUE(absl::StartsWith(secret, "whsec_"));
  EXPECT_EQ(created["endpoint"]["format"], "NATIVE");

  nlohmann::json listed = Call("ListEndpoints", "{}");
  ASSERT_EQ(listed["endpoints"].size(), 1u);
  EXPECT_EQ(listed["endpoints"][0]["id"], id);
  EXPECT_FALSE(listed.contains("signingSecret"));

  nlohmann::json updated =
      Call("UpdateEndpoint",
           absl::StrCat(R"({"endpoint": {"id": ")", id,
                        R"json(", "label": "SOC SIEM (prod)"}, "updateMask": "label"})json"));
  EXPECT_EQ(updated["label"], "SOC SIEM (prod)");

  EXPECT_EQ(Call("PauseEndpoint", absl::StrCat(R"({"id": ")", id, R"("})"))["state"], "PAUSED");
  EXPECT_EQ(Call("ResumeEndpoint", absl::StrCat(R"({"id": ")", id, R"("})"))["state"], "ENABLED");
  Call("DeleteEndpoint", absl::StrCat(R"({"id": ")", id, R"("})"));

  CommandResult gone = Grpcurl({"argus.webhooks.v1.EndpointRegistry/GetEndpoint"},
                               absl::StrCat(R"({"id": ")", id, R"("})"));
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(gone.err, "Code: NotFound")) << gone.err;

  CommandResult bad =
      Grpcurl({"argus.webhooks.v1.EndpointRegistry/CreateEndpoint"},
              R"({"label": "x", "url": "http://example.com/", "eventTypes": ["user.*"]})");
  EXPECT_TRUE(absl::StrContains(bad.err, "Code: InvalidArgument")) << bad.err;
  EXPECT_TRUE(absl::StrContains(bad.err, "https")) << bad.err;

  // SIGTERM: a clean exit, and no secret or token in anything it logged.
  registry_->Signal(SIGTERM);
  std::optional<int> code = registry_->Wait(absl::Seconds(20));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  std::string log = registry_->Stderr();
  EXPECT_TRUE(absl::StrContains(log, "endpoint created"));
  EXPECT_FALSE(absl::StrContains(log, secret));
  EXPECT_FALSE(absl::StrContains(log, secret.substr(6)));
  EXPECT_FALSE(absl::StrContains(log, token_));
  EXPECT_FALSE(absl::StrContains(log, "siem-ingest-token"));
}

TEST_F(WalkthroughTest, PublishFansOutToTheSubscribedEndpoint) {
  ASSERT_TRUE(testing::WaitUntilServing(ingest_address_, absl::Seconds(20))) << ingest_->Stderr();
  Call("CreateEndpoint", R"({"label": "auth feed", "url": "https://siem.example.com/auth",
                             "eventTypes": ["user.*"]})");
  std::string publish = R"({"type": "user.login", "idempotencyKey": "login-1",
                            "dataJson": "{\"userId\": \"u1\"}"})";
  CommandResult first = GrpcurlAt(ingest_address_, publish_token_,
                                  {"argus.webhooks.v1.EventIngest/Publish"}, publish);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  nlohmann::json published = nlohmann::json::parse(first.out);
  EXPECT_EQ(published["fanout"], 1);
  CommandResult again = GrpcurlAt(ingest_address_, publish_token_,
                                  {"argus.webhooks.v1.EventIngest/Publish"}, publish);
  nlohmann::json duplicate = nlohmann::json::parse(again.out);
  EXPECT_EQ(duplicate["eventId"], published["eventId"]);
  EXPECT_EQ(duplicate["duplicate"], true);
  EXPECT_EQ(db_.QueryValue("SELECT payload FROM events"), "{\"userId\": \"u1\"}");
  // An admin token cannot publish.
  CommandResult denied =
      GrpcurlAt(ingest_address_, token_, {"argus.webhooks.v1.EventIngest/Publish"}, publish);
  EXPECT_TRUE(absl::StrContains(denied.err, "Code: PermissionDenied")) << denied.err;
}

// Every binary says which build it is and lists its own flags.
TEST(BinariesTest, VersionAndHelp) {
  for (const char* binary :
       {ARGUSCTL_BINARY, REGISTRY_BINARY, INGEST_BINARY, DELIVERER_BINARY, DEBOUNCER_BINARY}) {
    std::string name = std::string(binary).substr(std::string(binary).rfind('/') + 1);
    CommandResult version = RunCommand({binary, "--version"});
    EXPECT_EQ(version.exit_code, 0) << name;
    EXPECT_TRUE(absl::StartsWith(version.out, name + " ")) << version.out;
    EXPECT_TRUE(absl::StrContains(version.out, "(commit ")) << version.out;
    EXPECT_FALSE(absl::StrContains(version.out, "Debug build")) << version.out;
    CommandResult help = RunCommand({binary, "--help"});
    std::string text = help.out + help.err;
    EXPECT_FALSE(absl::StrContains(text, "No flags matched")) << name << ": " << text;
    EXPECT_TRUE(absl::StrContains(text, "--database_url")) << name << ": " << text;
    if (name != "argusctl") {
      EXPECT_TRUE(absl::StrContains(text, "--tls_cert")) << name;
    }
  }
  CommandResult deliverer = RunCommand({DELIVERER_BINARY, "--help"});
  EXPECT_TRUE(absl::StrContains(deliverer.out + deliverer.err, "--max_in_flight"));
}

}  // namespace
}  // namespace argus
