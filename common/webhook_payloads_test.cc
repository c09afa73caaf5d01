#include "common/webhook_payloads.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace argus {
namespace {

using Json = nlohmann::json;

EventEnvelope Event(const std::string& type, const std::string& data) {
  return {.id = "0e8c4f3b-1a2d-4e5f-8789-abcdef012345",
          .type = type,
          .org = "mystudio",
          .project = "mygame",
          .created = absl::FromUnixSeconds(1714742400),
          .data_json = data};
}

std::string Slack(const std::string& type, const std::string& data) {
  return RenderChatText(Event(type, data), ChatDialect::kSlack);
}

TEST(NativeBodyTest, EnvelopeWithDataVerbatim) {
  EventEnvelope e = Event("session.created", "{ \"b\":1,  \"a\":[1.50] }");
  EXPECT_EQ(RenderNativeBody(e),
            "{\"id\":\"0e8c4f3b-1a2d-4e5f-8789-abcdef012345\",\"type\":\"session.created\","
            "\"created\":1714742400,\"timestamp\":\"2024-05-03T13:20:00Z\",\"org\":\"mystudio\","
            "\"project\":\"mygame\",\"data\":{ \"b\":1,  \"a\":[1.50] }}");
  e.project = "";
  Json parsed = Json::parse(RenderNativeBody(e));
  EXPECT_TRUE(parsed["project"].is_null());
  EXPECT_FALSE(parsed.contains("occurred_at")) << "only when the publisher gave it";
}

TEST(NativeBodyTest, OccurredAtWhenThePublisherGaveIt) {
  EventEnvelope e = Event("user.login", "{}");
  e.occurred = absl::FromUnixMillis(1714742399250);
  EXPECT_EQ(Json::parse(RenderNativeBody(e))["occurred_at"], "2024-05-03T13:19:59.25Z");
  e.occurred = absl::FromUnixSeconds(1714742399);
  EXPECT_EQ(Json::parse(RenderNativeBody(e))["occurred_at"], "2024-05-03T13:19:59Z");
}

TEST(NativeBodyTest, SequenceOnlyForOrderedEndpoints) {
  EventEnvelope e = Event("user.login", "{}");
  EXPECT_FALSE(Json::parse(RenderNativeBody(e)).contains("sequence"));
  e.sequence = 42;
  Json parsed = Json::parse(RenderNativeBody(e));
  EXPECT_EQ(parsed["sequence"], 42);
  EXPECT_EQ(parsed["data"], Json::object());
}

TEST(SlackGoldenTest, TestSessionCompletedListsThreeAndMore) {
  Json captures = Json::array();
  const char* names[][2] = {{"Order.Complete", "Tutorial Order"},
                            {"Order.Complete", "Boss Order"},
                            {"Chapter.Complete", "Chapter 1"}};
  double fps[] = {59.8, 54.1, 60.0};
  for (int i = 0; i < 12; ++i) {
    captures.push_back({{"eventName", i < 3 ? names[i][0] : "Level.Load"},
                        {"eventUniqueId", i < 3 ? names[i][1] : "Level"},
                        {"averageFps", i < 3 ? fps[i] : 58.0}});
  }
  Json data = {{"sessionName", "MyGame_2026-05-04_15-23-45"},
               {"projectName", "MyGame"},
               {"appVersion", "0.4.2"},
               {"captureCount", 12},
               {"averageFps", 58.43},
               {"avgFrameTime", 17.1234},
               {"peakMonoMemoryMb", 287.2},
               {"url", "https://argus.example.com/test-sessions/42"},
               {"captures", captures}};
  EXPECT_EQ(Slack("test_session.completed", data.dump()),
            ":white_check_mark: Test session `MyGame_2026-05-04_15-23-45` completed for *MyGame* "
            "v0.4.2 — 12 captures, 58.4 avg FPS, 17.12ms avg frame, peak 287MB mono. "
            "<https://argus.example.com/test-sessions/42|Open in dashboard> • `Order.Complete` · "
            "Tutorial Order — 59.8 FPS • `Order.Complete` · Boss Order — 54.1 FPS • "
            "`Chapter.Complete` · Chapter 1 — 60.0 FPS …and 9 more");
}

TEST(SlackGoldenTest, EveryEventOfSeedTable) {
  EXPECT_EQ(Slack("session.created",
                  R"({"sessionName":"MyGame_2026-05-03_15-23-45","eventUniqueId":"Tutorial Order",
                      "projectName":"MyGame","appVersion":"0.4.2","deviceModel":"iPhone 14 Pro",
                      "url":"https://argus.example.com/sessions/1"})"),
            "Profiling Session `MyGame_2026-05-03_15-23-45` · Tutorial Order is finished for "
            "*MyGame* v0.4.2 on device `iPhone 14 Pro`. "
            "<https://argus.example.com/sessions/1|View session>");
  EXPECT_EQ(Slack("anomaly.detected",
                  R"({"projectName":"MyGame","description":"FPS dropped below 30 on Boss Order"})"),
            ":rotating_light: Anomaly in *MyGame*: FPS dropped below 30 on Boss Order.");
  EXPECT_EQ(Slack("api_key.created", R"({"projectName":"MyGame","name":"ci-upload"})"),
            ":key: API key created: `ci-upload` in *MyGame*");
  EXPECT_EQ(Slack("api_key.revoked", R"({"projectName":"MyGame","name":"ci-upload"})"),
            ":key: API key revoked: `ci-upload` in *MyGame*");
  EXPECT_EQ(Slack("project.created", R"({"name":"MyGame","orgName":"MyStudio"})"),
            ":sparkles: Project created: *MyGame* in *MyStudio*");
  EXPECT_EQ(Slack("billing.subscription.updated", R"({"orgName":"MyStudio","plan":"Pro"})"),
            ":arrow_up: Subscription updated for *MyStudio*: now on *Pro*");
  EXPECT_EQ(
      Slack("billing.subscription.canceled", R"({"orgName":"MyStudio","periodEnd":"2026-06-01"})"),
      ":wave: Subscription canceled for *MyStudio* — ends 2026-06-01");
  EXPECT_EQ(Slack("billing.payment_failed", R"({"orgName":"MyStudio","amount":"$49.00"})"),
            ":credit_card: Payment failed for *MyStudio* — $49.00.");
}

TEST(SlackGoldenTest, OtherTypesGetAGenericLineAndValuesAreEscaped) {
  EXPECT_EQ(Slack("user.login", R"({"userId":"u1"})"),
            ":bell: `user.login` in *mygame* (mystudio)");
  EXPECT_EQ(Slack("anomaly.detected", R"({"projectName":"A<b>","description":"x & <!channel>"})"),
            ":rotating_light: Anomaly in *A&lt;b&gt;*: x &amp; &lt;!channel&gt;.");
  // Missing fields do not break the message.
  EXPECT_EQ(Slack("billing.payment_failed", "{}"),
            ":credit_card: Payment failed for *mystudio* — ?.");
}

TEST(SlackBodyTest, TextAndBlocksCarryTheSameText) {
  Json body = Json::parse(RenderSlackBody(Event("api_key.created", R"({"name":"k"})")));
  EXPECT_EQ(body["text"], ":key: API key created: `k` in *mygame*");
  EXPECT_EQ(body["blocks"][0]["type"], "section");
  EXPECT_EQ(body["blocks"][0]["text"]["type"], "mrkdwn");
  EXPECT_EQ(body["blocks"][0]["text"]["text"], body["text"]);
}

TEST(DiscordBodyTest, Golden) {
  EXPECT_EQ(
      RenderDiscordBody(Event("session.created",
                              R"({"sessionName":"S1","eventUniqueId":"Boss Order",
                                        "projectName":"MyGame","appVersion":"0.4.2",
                                        "deviceModel":"Pixel 8","url":"https://argus.example.com/s/1"})")),
      R"json({"allowed_mentions":{"parse":[]},"content":"Profiling Session `S1` · Boss Order is finished for **MyGame** v0.4.2 on device `Pixel 8`. [View session](https://argus.example.com/s/1)","embeds":[{"color":5793266,"description":"Profiling Session `S1` · Boss Order is finished for **MyGame** v0.4.2 on device `Pixel 8`. [View session](https://argus.example.com/s/1)","timestamp":"2024-05-03T13:20:00Z","title":"session.created"}]})json");
}

TEST(ChatRenderTest, PayloadDeeperThanTheLimitRendersWithoutItsFields) {
  // 100,000 levels (stored before Publish had a depth limit): a recursive
  // walk would overflow the stack; the renderer treats it as unreadable.
  std::string deep =
      "{\"sessionName\":\"s\",\"x\":" + std::string(100000, '[') + std::string(100000, ']') + "}";
  EXPECT_EQ(Slack("session.created", deep).find("`s`"), std::string::npos);
  EXPECT_NE(RenderDiscordBody(Event("user.login", deep)).find("user.login"), std::string::npos);
  EXPECT_NE(RenderSlackBody(Event("test_session.completed", deep)).find("Test session"),
            std::string::npos);
}

TEST(ChatRenderTest, NumbersBeyondDoubleRangeRenderAsUnknown) {
  std::string text = Slack("test_session.completed", R"({"averageFps":1e400})");
  EXPECT_NE(text.find("? avg FPS"), std::string::npos) << text;
}

}  // namespace
}  // namespace argus
