// Debounced test-session rollups end to end, with a 2 s quiet window: all
// binaries as processes, rollups delivered to a real HTTPS receiver.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/support/e2e_fixture.h"
#include "tests/support/service_harness.h"

namespace argus {
namespace {

namespace v1 = ::argus::webhooks::v1;
using testing::E2eTest;
using testing::ServiceHarness;
using Json = nlohmann::json;

class DebouncerE2eTest : public E2eTest {
 protected:
  // One session.created capture of `label`, numbered `i`.
  std::string Capture(const std::string& label, int i, const std::string& project = "mygame") {
    Json data = {{"sessionName", label},
                 {"eventName", "Order.Complete"},
                 {"eventUniqueId", absl::StrCat("Order ", i)},
                 {"appVersion", "0.4.2"},
                 {"deviceModel", "iPhone 14 Pro"},
                 {"averageFps", 50.0 + i},
                 {"avgFrameTime", 16.0 + i / 10.0},
                 {"monoMemoryMb", 200 + i},
                 {"projectName", "MyGame"}};
    return Publish("session.created", data.dump(), project);
  }

  std::string Completions(const std::string& where = "true") {
    return Sql(absl::StrCat(
        "SELECT count(*) FROM events WHERE type = 'test_session.completed' AND ", where));
  }

  // The rollups the native endpoint received, oldest first.
  std::vector<Json> Rollups() {
    std::vector<Json> out;
    for (const auto& r : receiver_.Received("/rollups")) out.push_back(Json::parse(r.body));
    return out;
  }

  void CreateRollupEndpoints() {
    CreateEndpoint(receiver_.Url("/rollups"), {"test_session.completed"});
    CreateEndpoint(receiver_.Url("/slack"), {"test_session.completed"}, {}, v1::SLACK);
  }
};

TEST_F(DebouncerE2eTest, TwelveCapturesMakeOneRollup) {
  StartSuite(1, {}, /*debouncers=*/1);
  CreateRollupEndpoints();
  for (int i = 0; i < 12; ++i) Capture("MyGame_2026-05-04_15-23-45", i);
  ASSERT_TRUE(receiver_.WaitFor("/rollups", 1, absl::Seconds(30)));
  ASSERT_TRUE(receiver_.WaitFor("/slack", 1, absl::Seconds(30)));
  Json rollup = Rollups()[0];
  EXPECT_EQ(rollup["type"], "test_session.completed");
  EXPECT_EQ(rollup["project"], "mygame");
  const Json& d = rollup["data"];
  EXPECT_EQ(d["sessionName"], "MyGame_2026-05-04_15-23-45");
  EXPECT_EQ(d["captureCount"], 12);
  EXPECT_DOUBLE_EQ(d["averageFps"].get<double>(), 55.5);      // mean of 50..61
  EXPECT_NEAR(d["avgFrameTime"].get<double>(), 16.55, 1e-9);  // mean of 16.0..17.1
  EXPECT_DOUBLE_EQ(d["peakMonoMemoryMb"].get<double>(), 211);
  EXPECT_EQ(d["appVersion"], "0.4.2");
  EXPECT_EQ(d["projectName"], "MyGame");
  EXPECT_EQ(d["orgSlug"], "acme");
  ASSERT_EQ(d["captures"].size(), 12u);
  EXPECT_EQ(d["captures"][0]["eventUniqueId"], "Order 0");
  EXPECT_TRUE(absl::StrContains(d["url"].get<std::string>(), "/test-sessions/"));

  std::string slack = Json::parse(receiver_.Received("/slack")[0].body)["text"];
  EXPECT_TRUE(absl::StartsWith(slack,
                               ":white_check_mark: Test session `MyGame_2026-05-04_15-23-45` "
                               "completed for *MyGame* v0.4.2 — 12 captures, 55.5 avg FPS"))
      << slack;
  EXPECT_TRUE(absl::StrContains(slack, "• `Order.Complete` · Order 0 — 50.0 FPS")) << slack;
  EXPECT_TRUE(absl::EndsWith(slack, "…and 9 more")) << slack;
  EXPECT_EQ(Completions(), "1");
}

TEST_F(DebouncerE2eTest, LabelsProjectsAndOrgsNeverMix) {
  StartSuite(1, {}, /*debouncers=*/1);
  CreateRollupEndpoints();
  for (int i = 0; i < 3; ++i) Capture("A", i);
  for (int i = 0; i < 2; ++i) Capture("B", i);
  Capture("A", 0, "othergame");
  // The same label in another org, published the way services do it.
  testing::CommandResult minted = testing::RunCommand(
      {ARGUSCTL_BINARY_FOR_TESTS, "token", "create", "--org", "globex", "--scope", "publish"},
      suite_->Env());
  ASSERT_EQ(minted.exit_code, 0) << minted.err;
  v1::PublishRequest other;
  other.set_type("session.created");
  other.set_project("mygame");
  other.set_data_json(R"({"sessionName": "A", "averageFps": 10})");
  v1::PublishResponse resp;
  ASSERT_TRUE(
      suite_->ingest()
          .Publish(
              ServiceHarness::Context(std::string(absl::StripAsciiWhitespace(minted.out))).get(),
              other, &resp)
          .ok());

  ASSERT_TRUE(WaitUntil([&] { return Completions() == "4"; }, absl::Seconds(30)));
  EXPECT_EQ(Sql("SELECT string_agg(o.slug || '/' || s.project || '/' || s.label || '=' || "
                "s.capture_count, ',' ORDER BY o.slug, s.project, s.label) "
                "FROM test_sessions s JOIN orgs o ON o.id = s.org_id"),
            "acme/mygame/A=3,acme/mygame/B=2,acme/othergame/A=1,globex/mygame/A=1");
  ASSERT_TRUE(receiver_.WaitFor("/rollups", 3, absl::Seconds(20)));  // acme's three only
  std::map<std::string, int> counts;
  for (const Json& r : Rollups()) {
    counts[r["project"].get<std::string>() + "/" + r["data"]["sessionName"].get<std::string>()] =
        r["data"]["captureCount"];
  }
  EXPECT_EQ(counts,
            (std::map<std::string, int>{{"mygame/A", 3}, {"mygame/B", 2}, {"othergame/A", 1}}));
}

TEST_F(DebouncerE2eTest, RestartInTheMiddleOfAWindowStillCompletesOnce) {
  // A window that a slow machine cannot overrun between the two bursts.
  StartSuite(1, {}, /*debouncers=*/0);
  suite_->StartDebouncer({"--quiet_window", "5s"});
  CreateRollupEndpoints();
  for (int i = 0; i < 5; ++i) Capture("restart", i);
  ASSERT_TRUE(WaitUntil([&] { return Sql("SELECT capture_count FROM test_sessions") == "5"; },
                        absl::Seconds(10)));
  suite_->debouncer(0).Signal(SIGKILL);
  ASSERT_TRUE(suite_->debouncer(0).Wait(absl::Seconds(10)).has_value());
  for (int i = 5; i < 8; ++i) Capture("restart", i);
  suite_->StartDebouncer({"--quiet_window", "5s"});
  ASSERT_TRUE(receiver_.WaitFor("/rollups", 1, absl::Seconds(30)));
  EXPECT_EQ(Rollups()[0]["data"]["captureCount"], 8);
  EXPECT_EQ(Completions(), "1");
}

TEST_F(DebouncerE2eTest, TwoDebouncersCompleteOnce) {
  StartSuite(1, {}, /*debouncers=*/2);
  CreateRollupEndpoints();
  for (int i = 0; i < 6; ++i) Capture("twins", i);
  ASSERT_TRUE(receiver_.WaitFor("/rollups", 1, absl::Seconds(30)));
  // A later session's rollup proves both debouncers ran past the first one's
  // window without completing it again.
  Capture("later", 0);
  ASSERT_TRUE(receiver_.WaitFor("/rollups", 2, absl::Seconds(30)));
  EXPECT_EQ(Sql("SELECT count(*) FROM events WHERE type = 'test_session.completed' "
                "AND payload::jsonb->>'sessionName' = 'twins'"),
            "1");
  EXPECT_EQ(Rollups()[0]["data"]["captureCount"], 6);
  EXPECT_EQ(receiver_.Count("/rollups"), 2u);
}

TEST_F(DebouncerE2eTest, CapturesWhileTheDebouncerIsDownAreAllCounted) {
  StartSuite(1, {}, /*debouncers=*/0);
  CreateRollupEndpoints();
  for (int i = 0; i < 7; ++i) Capture("offline", i);
  EXPECT_EQ(Sql("SELECT count(*) FROM test_sessions"), "0");
  suite_->StartDebouncer();
  ASSERT_TRUE(receiver_.WaitFor("/rollups", 1, absl::Seconds(30)));
  EXPECT_EQ(Rollups()[0]["data"]["captureCount"], 7);
}

TEST_F(DebouncerE2eTest, ACaptureAfterCompletionOpensTheNextPeriod) {
  StartSuite(1, {}, /*debouncers=*/1);
  CreateRollupEndpoints();
  for (int i = 0; i < 3; ++i) Capture("again", i);
  ASSERT_TRUE(receiver_.WaitFor("/rollups", 1, absl::Seconds(30)));
  for (int i = 10; i < 12; ++i) Capture("again", i);
  ASSERT_TRUE(receiver_.WaitFor("/rollups", 2, absl::Seconds(30)));
  std::vector<Json> rollups = Rollups();
  EXPECT_EQ(rollups[0]["data"]["period"], 1);
  EXPECT_EQ(rollups[0]["data"]["captureCount"], 3);
  EXPECT_EQ(rollups[1]["data"]["period"], 2);
  EXPECT_EQ(rollups[1]["data"]["captureCount"], 2);
  EXPECT_DOUBLE_EQ(rollups[1]["data"]["averageFps"].get<double>(), 60.5);
  EXPECT_NE(rollups[0]["id"], rollups[1]["id"]);
}

TEST_F(DebouncerE2eTest, CompleteNowFiresAtOnceAndTheTimerDoesNotRepeatIt) {
  // A window long enough for the test to ask first.
  StartSuite(1, {}, /*debouncers=*/0);
  suite_->StartDebouncer({"--quiet_window", "5s"});
  CreateRollupEndpoints();
  for (int i = 0; i < 4; ++i) Capture("now", i);
  ASSERT_TRUE(WaitUntil([&] { return Sql("SELECT capture_count FROM test_sessions") == "4"; },
                        absl::Seconds(10)));
  v1::ListOpenSessionsResponse open;
  ASSERT_TRUE(
      suite_->DebouncerStub(0)
          ->ListOpenSessions(ServiceHarness::Context(suite_->admin_token()).get(), {}, &open)
          .ok());
  ASSERT_EQ(open.sessions_size(), 1);
  EXPECT_EQ(open.sessions(0).label(), "now");
  EXPECT_EQ(open.sessions(0).capture_count(), 4);

  v1::CompleteSessionRequest req;
  req.set_project("mygame");
  req.set_label("now");
  v1::CompleteSessionResponse resp;
  grpc::Status s = suite_->DebouncerStub(0)->CompleteSession(
      ServiceHarness::Context(suite_->admin_token()).get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_TRUE(receiver_.WaitFor("/rollups", 1, absl::Seconds(20)));
  EXPECT_EQ(Rollups()[0]["id"], resp.event_id());
  // Completing it again finds nothing open.
  EXPECT_EQ(suite_->DebouncerStub(0)
                ->CompleteSession(ServiceHarness::Context(suite_->admin_token()).get(), req, &resp)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  // The org's view is empty now, and other orgs never see it.
  open.Clear();
  ASSERT_TRUE(
      suite_->DebouncerStub(0)
          ->ListOpenSessions(ServiceHarness::Context(suite_->admin_token()).get(), {}, &open)
          .ok());
  EXPECT_EQ(open.sessions_size(), 0);
  // A later session's rollup arrives after "now"'s window has passed: the
  // timer did not complete "now" a second time.
  Capture("marker", 0);
  ASSERT_TRUE(receiver_.WaitFor("/rollups", 2, absl::Seconds(30)));
  EXPECT_EQ(Rollups()[1]["data"]["sessionName"], "marker");
  EXPECT_EQ(Completions(), "2");
  EXPECT_EQ(receiver_.Count("/rollups"), 2u);
}

}  // namespace
}  // namespace argus
