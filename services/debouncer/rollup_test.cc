#include "services/debouncer/rollup.h"

#include <gtest/gtest.h>

namespace argus {
namespace {

using Json = nlohmann::json;

TEST(RollupTest, CapturesKeepWhatTheRollupNeeds) {
  Json payload = {{"sessionName", "S1"},
                  {"eventName", "Order.Complete"},
                  {"eventUniqueId", "Tutorial Order"},
                  {"averageFps", 58.3},
                  {"avgFrameTime", 17.1},
                  {"appVersion", "0.4.2"},
                  {"deviceModel", "iPhone"},
                  {"secretInternalField", "dropped"}};
  Json cap = CaptureFromPayload(payload, absl::FromUnixSeconds(1714742400));
  EXPECT_EQ(cap["eventName"], "Order.Complete");
  EXPECT_EQ(cap["averageFps"], 58.3);
  EXPECT_EQ(cap["capturedAt"], "2024-05-03T13:20:00.000Z");
  EXPECT_FALSE(cap.contains("secretInternalField"));
  EXPECT_FALSE(cap.contains("monoMemoryMb"));
  EXPECT_EQ(SessionLabel(payload), "S1");
  EXPECT_EQ(SessionLabel(Json::object()), "");
}

TEST(RollupTest, AveragesPeakAndCount) {
  Json captures = Json::array();
  captures.push_back({{"averageFps", 60.0},
                      {"avgFrameTime", 16.0},
                      {"monoMemoryMb", 200},
                      {"appVersion", "0.4.1"},
                      {"capturedAt", "a"},
                      {"projectName", "MyGame"}});
  captures.push_back({{"averageFps", 50.0},
                      {"avgFrameTime", 20.0},
                      {"monoMemoryMb", 287},
                      {"appVersion", "0.4.2"},
                      {"capturedAt", "b"}});
  captures.push_back({{"appVersion", "0.4.2"}, {"capturedAt", "c"}});  // reports no metrics
  Json r = BuildRollup({.org = "studio",
                        .project = "mygame",
                        .label = "Run 1/2",
                        .period = 2,
                        .dashboard_base_url = "https://argus.example.com"},
                       captures);
  EXPECT_EQ(r["captureCount"], 3);
  EXPECT_DOUBLE_EQ(r["averageFps"].get<double>(), 55.0);
  EXPECT_DOUBLE_EQ(r["avgFrameTime"].get<double>(), 18.0);
  EXPECT_DOUBLE_EQ(r["peakMonoMemoryMb"].get<double>(), 287);
  EXPECT_EQ(r["appVersion"], "0.4.2");
  EXPECT_EQ(r["projectName"], "MyGame");
  EXPECT_EQ(r["projectSlug"], "mygame");
  EXPECT_EQ(r["period"], 2);
  EXPECT_EQ(r["firstCaptureAt"], "a");
  EXPECT_EQ(r["lastCaptureAt"], "c");
  EXPECT_EQ(r["url"], "https://argus.example.com/studio/mygame/test-sessions/Run%201%2F2");
  EXPECT_FALSE(r["captures"][0].contains("projectName"));
}

TEST(RollupTest, NoMetricsMeansNullNotZero) {
  Json r =
      BuildRollup({.org = "o", .project = "p", .label = "l"}, Json::array({{{"capturedAt", "x"}}}));
  EXPECT_TRUE(r["averageFps"].is_null());
  EXPECT_TRUE(r["peakMonoMemoryMb"].is_null());
}

TEST(RollupTest, CompletionKeysAreStableAndDistinct) {
  EXPECT_EQ(CompletionKey("p", "label", 1), CompletionKey("p", "label", 1));
  EXPECT_NE(CompletionKey("p", "label", 1), CompletionKey("p", "label", 2));
  EXPECT_NE(CompletionKey("p", "label", 1), CompletionKey("q", "label", 1));
  EXPECT_NE(CompletionKey("pl", "abel", 1), CompletionKey("p", "label", 1));
  EXPECT_LE(CompletionKey("p", std::string(10000, 'x'), 99999).size(), 100u);
}

}  // namespace
}  // namespace argus
