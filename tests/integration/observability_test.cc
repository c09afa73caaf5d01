// A real Prometheus (Debian's package) scrapes the real services on
// loopback: the dashboard's own success-rate query returns what the traffic
// was, and every metric the dashboard and the alert rules use exists.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/e2e_fixture.h"

namespace argus {
namespace {

using testing::ChildProcess;
using testing::E2eTest;
using Json = nlohmann::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Root() { return ARGUS_SOURCE_DIR; }

class ObservabilityTest : public E2eTest {
 protected:
  void StartPrometheus() {
    char tmpl[] = "/tmp/argus-promXXXXXX";
    dir_ = mkdtemp(tmpl);
    std::string config = absl::StrCat(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n", "rule_files: [\"", Root(),
        "/deploy/prometheus/alerts.yml\"]\nscrape_configs:\n");
    std::map<std::string, std::vector<int>> jobs;
    for (const auto& [job, port] : suite_->MetricsTargets()) jobs[job].push_back(port);
    for (const auto& [job, ports] : jobs) {
      absl::StrAppend(&config, "  - job_name: ", job, "\n    static_configs: [{targets: [");
      for (size_t i = 0; i < ports.size(); ++i) {
        absl::StrAppend(&config, i ? ", " : "", "\"127.0.0.1:", ports[i], "\"");
      }
      absl::StrAppend(&config, "]}]\n");
    }
    std::ofstream(dir_ + "/prometheus.yml") << config;
    port_ = testing::FreeTcpPort();
    prometheus_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        "/usr/bin/prometheus", "--config.file=" + dir_ + "/prometheus.yml",
        "--storage.tsdb.path=" + dir_ + "/data",
        absl::StrCat("--web.listen-address=127.0.0.1:", port_)});
  }

  void TearDown() override {
    prometheus_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // The first sample of an instant query, or nullopt.
  std::optional<double> Query(const std::string& promql) {
    httplib::Client client("127.0.0.1", port_);
    auto res = client.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
    if (!res || res->status != 200) return std::nullopt;
    Json body = Json::parse(res->body, nullptr, false);
    if (!body.is_object() || body["data"]["result"].empty()) return std::nullopt;
    return std::stod(body["data"]["result"][0]["value"][1].get<std::string>());
  }

  std::string dir_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> prometheus_;
};

TEST_F(ObservabilityTest, DashboardQueryReturnsTheSuccessRateAndEveryMetricExists) {
  // One deliverer: with one scrape target the rate() extrapolation is the
  // same for every series, so the ratio is exact.
  StartSuite(/*deliverers=*/1, {}, /*debouncers=*/1);
  StartPrometheus();
  Json dashboard = Json::parse(ReadFile(Root() + "/deploy/grafana/dashboards/argus-webhooks.json"));
  std::string success_rate;
  std::string all_queries;
  for (const Json& panel : dashboard["panels"]) {
    for (const Json& target : panel["targets"]) {
      all_queries += target["expr"].get<std::string>() + "\n";
      if (panel["title"] == "Delivery success rate") success_rate = target["expr"];
    }
  }
  ASSERT_FALSE(success_rate.empty());

  // Traffic only after Prometheus holds a sample of every target, so the
  // counters' increase falls inside its window.
  ASSERT_TRUE(WaitUntil([&] {
    std::optional<double> up = Query("count(up == 1)");
    std::optional<double> seen = Query("count(argus_webhook_delivery_attempts_total)");
    return up && *up == suite_->MetricsTargets().size() && seen && *seen > 0;
  }, absl::Seconds(30)));
  // 6 successful attempts and 2 failed ones: a success rate of 75%.
  receiver_.Script("/bad", {{.status = 500}});
  CreateEndpoint(receiver_.Url("/good"), {"user.*"});
  CreateEndpoint(receiver_.Url("/bad"), {"mfa.*"}, {});
  for (int i = 0; i < 6; ++i) Publish("user.login");
  for (int i = 0; i < 2; ++i) Publish("mfa.enabled");
  ASSERT_TRUE(WaitUntil([&] { return Sql("SELECT count(*) FROM delivery_attempts") == "8"; },
                        absl::Seconds(20)));
  std::optional<double> rate;
  ASSERT_TRUE(WaitUntil([&] {
    rate = Query(success_rate);
    return rate && std::abs(*rate - 0.75) < 0.01;
  }, absl::Seconds(40))) << "last value: " << (rate ? absl::StrCat(*rate) : "none");

  // Every metric named by the dashboard and the alert rules is in a live scrape.
  std::string scrapes;
  for (const auto& [job, port] : suite_->MetricsTargets()) {
    httplib::Client client("127.0.0.1", port);
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res) << job;
    scrapes += res->body;
  }
  std::string rules = ReadFile(Root() + "/deploy/prometheus/alerts.yml");
  std::set<std::string> names;
  std::regex metric(R"(\b(argus_webhook_[a-z_]+|grpc_server_[a-z_]+))");
  for (const std::string& text : {all_queries, rules}) {
    for (std::sregex_iterator it(text.begin(), text.end(), metric), end; it != end; ++it) {
      names.insert((*it)[1]);
    }
  }
  EXPECT_GE(names.size(), 12u);
  for (const std::string& name : names) {
    EXPECT_TRUE(absl::StrContains(scrapes, "\n" + name)) << name << " is not exported";
  }
  // Prometheus loaded the production alert rules.
  EXPECT_TRUE(Query("count(ALERTS) or vector(0)").has_value());
  httplib::Client client("127.0.0.1", port_);
  auto rules_api = client.Get("/api/v1/rules");
  ASSERT_TRUE(rules_api);
  EXPECT_TRUE(absl::StrContains(rules_api->body, "ArgusDeliverySuccessRateLow"));
}

}  // namespace
}  // namespace argus
