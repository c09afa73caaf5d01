// A real Prometheus (Debian's package) scrapes the real services on
// loopback: the dashboard's own success-rate query returns what the traffic
// was, every metric the dashboard and the alert rules use exists, every
// service exports its build and process metrics, and the queue depth comes
// from one deliverer replica at a time.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/e2e_fixture.h"

namespace argus {
namespace {

using testing::ChildProcess;
using testing::E2eTest;
using Json = nlohmann::json;

using testing::ReadFile;

std::string Root() { return ARGUS_SOURCE_DIR; }

class ObservabilityTest : public E2eTest {
 protected:
  void StartPrometheus() {
    char tmpl[] = "/tmp/argus-promXXXXXX";
    dir_ = mkdtemp(tmpl);
    std::string config =
        absl::StrCat("global: {scrape_interval: 1s, evaluation_interval: 1s}\n", "rule_files: [\"",
                     Root(), "/deploy/prometheus/alerts.yml\"]\nscrape_configs:\n");
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
    prometheus_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + dir_ + "/prometheus.yml",
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
  // Importable into any Grafana: the data source is a variable, not a uid.
  std::set<std::string> variables;
  for (const Json& v : dashboard["templating"]["list"]) variables.insert(v["name"]);
  EXPECT_EQ(variables, (std::set<std::string>{"datasource", "org", "replica"}));
  std::string success_rate;
  std::string all_queries;
  for (const Json& panel : dashboard["panels"]) {
    EXPECT_EQ(panel["datasource"]["uid"], "${datasource}") << panel["title"];
    for (const Json& target : panel["targets"]) {
      // The variables at "All", as Grafana sends them.
      std::string expr = std::regex_replace(target["expr"].get<std::string>(),
                                            std::regex(R"(\$(org|replica)\b)"), ".*");
      all_queries += expr + "\n";
      if (panel["title"] == "Delivery success rate") success_rate = expr;
    }
  }
  ASSERT_FALSE(success_rate.empty());

  // Traffic only after Prometheus holds a sample of every target, so the
  // counters' increase falls inside its window.
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::optional<double> up = Query("count(up == 1)");
        std::optional<double> seen = Query("count(argus_webhook_delivery_attempts_total)");
        return up && *up == suite_->MetricsTargets().size() && seen && *seen > 0;
      },
      absl::Seconds(30)));
  // 9 successful attempts and 3 failed ones: a success rate of 75%, and
  // an endpoint failing 3 times in a row (argus_webhook_failing_endpoints).
  receiver_.Script("/bad", {{.status = 500}});
  CreateEndpoint(receiver_.Url("/good"), {"user.*"});
  CreateEndpoint(receiver_.Url("/bad"), {"mfa.*"}, {});
  for (int i = 0; i < 9; ++i) Publish("user.login");
  for (int i = 0; i < 3; ++i) Publish("mfa.enabled");
  ASSERT_TRUE(WaitUntil([&] { return Sql("SELECT count(*) FROM delivery_attempts") == "12"; },
                        absl::Seconds(20)));
  std::optional<double> rate;
  ASSERT_TRUE(WaitUntil(
      [&] {
        rate = Query(success_rate);
        return rate && std::abs(*rate - 0.75) < 0.01;
      },
      absl::Seconds(40)))
      << "last value: " << (rate ? absl::StrCat(*rate) : "none");

  // Every metric named by the dashboard and the alert rules is in a live
  // scrape (failing_endpoints once the reporter has counted /bad), and every
  // service says what build it runs and how the process is doing.
  std::optional<double> failing;
  ASSERT_TRUE(WaitUntil(
      [&] {
        failing = Query("sum(argus_webhook_failing_endpoints{org=\"acme\"})");
        return failing && *failing == 1;
      },
      absl::Seconds(20)));
  std::string scrapes;
  for (const auto& [job, port] : suite_->MetricsTargets()) {
    httplib::Client client("127.0.0.1", port);
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res) << job;
    scrapes += res->body;
    EXPECT_TRUE(std::regex_search(
        res->body,
        std::regex(
            R"(\nargus_build_info\{(commit="[^"]+",version="[^"]+"|version="[^"]+",commit="[^"]+")\} 1\n)")))
        << job;
    for (const char* process : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                                "process_virtual_memory_bytes", "process_start_time_seconds",
                                "process_open_fds", "process_max_fds"}) {
      EXPECT_TRUE(absl::StrContains(res->body, absl::StrCat("\n", process, " ")))
          << job << " " << process;
    }
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
  EXPECT_TRUE(absl::StrContains(rules_api->body, "ArgusCustomerEndpointsFailing"));
  EXPECT_TRUE(absl::StrContains(rules_api->body, "ArgusNoDelivererUp"));
}

TEST_F(ObservabilityTest, QueueDepthComesFromOneReplicaSoASumIsRight) {
  StartSuite(/*deliverers=*/2);
  // 7 deliveries whose first attempt failed, retried in an hour: a steady
  // depth of 7 pending.
  receiver_.Script("/later", std::vector<testing::Reply>(7, {.status = 500}));
  CreateEndpoint(receiver_.Url("/later"), {"user.*"}, {"3600s"});
  for (int i = 0; i < 7; ++i) Publish("user.login");
  ASSERT_TRUE(WaitUntil([&] { return Sql("SELECT count(*) FROM delivery_attempts") == "7"; },
                        absl::Seconds(15)));
  const std::string kPending = "argus_webhook_queue_depth{state=\"pending\"} ";
  auto reporters = [&] {
    std::vector<int> out;
    for (int i = 0; i < 2; ++i) {
      std::string m = suite_->DelivererMetrics(i);
      if (absl::StrContains(m, kPending)) out.push_back(i);
    }
    return out;
  };
  // Exactly one replica exports the depth, and it is the whole queue's.
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::vector<int> r = reporters();
        return r.size() == 1 && absl::StrContains(suite_->DelivererMetrics(r[0]), kPending + "7\n");
      },
      absl::Seconds(15)));
  int reporter = reporters().at(0);
  // When that replica dies, the other takes over (the lease is 10 s).
  suite_->deliverer(reporter).Signal(SIGKILL);
  int other = 1 - reporter;
  EXPECT_TRUE(WaitUntil(
      [&] { return absl::StrContains(suite_->DelivererMetrics(other), kPending + "7\n"); },
      absl::Seconds(30)));
}

}  // namespace
}  // namespace argus
