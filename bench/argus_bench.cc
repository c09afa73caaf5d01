// argus-bench: runs one benchmark scenario against the real services on a
// PostgreSQL cluster (ARGUS_TEST_DATABASE_URL) and writes a result file with
// the command, the machine, the commit, every run and the medians.
// The scripts in bench/ start a durable cluster and call it; see
// bench/README.md.
#include <sys/utsname.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/scenarios.h"
#include "bench/statement_profile.h"
#include "common/service_host.h"
#include "tests/support/test_database.h"

ABSL_FLAG(std::string, scenario, "",
          "throughput | latency | ingest | hang | soak | neighbour | ceiling");
ABSL_FLAG(int, repeat, 3, "runs; the result holds every run and the medians");
ABSL_FLAG(std::string, out, "", "result file (JSON); empty = stdout only");
ABSL_FLAG(std::string, git_commit, "", "recorded in the result");
ABSL_FLAG(int64_t, events, 20000, "backlog size (throughput, hang)");
ABSL_FLAG(int, deliverers, 2, "deliverer replicas");
ABSL_FLAG(double, rate, 1000, "events per second (latency, soak)");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(20), "publishing time (latency, ingest, soak)");
ABSL_FLAG(int, endpoints, 100, "endpoints on the bench receiver");
ABSL_FLAG(int, fanout, 1, "endpoints each event goes to");
ABSL_FLAG(int, hanging, 10, "hanging endpoints (hang)");
ABSL_FLAG(int, payload_bytes, 256, "padding in each event's data");
ABSL_FLAG(absl::Duration, request_timeout, absl::Seconds(5), "deliverers' request timeout");
ABSL_FLAG(absl::Duration, sample_every, absl::Seconds(10), "soak sampling interval");
ABSL_FLAG(int, history_days, 30, "past days given (empty) partitions, as under 30-day retention");
ABSL_FLAG(std::string, deliverer_flags, "", "extra deliverer flags, comma-separated");
ABSL_FLAG(bool, tls, false, "receivers speak HTTPS (real TLS, connections reused)");
ABSL_FLAG(int64_t, noisy_events, 1000000, "the other org's held backlog (neighbour)");
ABSL_FLAG(bool, with_ceiling, false, "throughput: also measure the ceiling on the same cluster");
ABSL_FLAG(int, ceiling_clients, 4, "pgbench clients (ceiling)");
ABSL_FLAG(int, ceiling_batch, 100, "deliveries per claim (ceiling)");
ABSL_FLAG(absl::Duration, ceiling_time, absl::Seconds(10), "pgbench run time (ceiling)");
ABSL_FLAG(bool, ordered, false, "the endpoints are ORDERED (throughput: scenario g)");
ABSL_FLAG(absl::Duration, receiver_delay, absl::ZeroDuration(),
          "the receiver answers each request after this long");

namespace argus::bench {
namespace {

using Json = nlohmann::json;

std::string FirstLineWith(const char* path, const std::string& prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      size_t colon = line.find(':');
      return colon == std::string::npos ? line
                                        : line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "";
}

Json Machine() {
  utsname u{};
  uname(&u);
  return {{"cpus", std::thread::hardware_concurrency()},
          {"cpu_model", FirstLineWith("/proc/cpuinfo", "model name")},
          {"memory", FirstLineWith("/proc/meminfo", "MemTotal")},
          {"kernel", std::string(u.sysname) + " " + u.release}};
}

// The settings that make the numbers durable (or not).
Json PostgresSettings() {
  pqxx::connection c(testing::AdminDatabaseUrl());
  pqxx::nontransaction tx(c);
  Json out;
  for (const char* name : {"server_version", "fsync", "synchronous_commit", "full_page_writes",
                           "shared_buffers", "wal_level"}) {
    out[name] = tx.exec1(std::string("SHOW ") + name)[0].as<std::string>();
  }
  return out;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int Main(int argc, char** argv) {
  DisableAbslDeadlockDetection();  // as the services do: less of the load generator's CPU
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  const std::map<std::string, std::function<Run(const ScenarioOptions&)>> scenarios = {
      {"throughput", Throughput},
      {"latency", Latency},
      {"ingest", Ingest},
      {"hang", Hang},
      {"soak", Soak},
      {"neighbour", Neighbour},
      {"ceiling", Ceiling}};
  auto scenario = scenarios.find(absl::GetFlag(FLAGS_scenario));
  if (scenario == scenarios.end() || rest.size() > 1) {
    std::fprintf(stderr,
                 "usage: argus-bench "
                 "--scenario=throughput|latency|ingest|hang|soak|neighbour|ceiling [flags]\n");
    return 2;
  }
  ScenarioOptions o;
  o.events = absl::GetFlag(FLAGS_events);
  o.deliverers = absl::GetFlag(FLAGS_deliverers);
  o.rate = absl::GetFlag(FLAGS_rate);
  o.duration = absl::GetFlag(FLAGS_duration);
  o.endpoints = absl::GetFlag(FLAGS_endpoints);
  o.fanout = absl::GetFlag(FLAGS_fanout);
  o.hanging = absl::GetFlag(FLAGS_hanging);
  o.payload_bytes = absl::GetFlag(FLAGS_payload_bytes);
  o.request_timeout = absl::GetFlag(FLAGS_request_timeout);
  o.sample_every = absl::GetFlag(FLAGS_sample_every);
  o.history_days = absl::GetFlag(FLAGS_history_days);
  o.tls = absl::GetFlag(FLAGS_tls);
  o.noisy_events = absl::GetFlag(FLAGS_noisy_events);
  o.with_ceiling = absl::GetFlag(FLAGS_with_ceiling);
  o.ceiling_clients = absl::GetFlag(FLAGS_ceiling_clients);
  o.ceiling_batch = absl::GetFlag(FLAGS_ceiling_batch);
  o.ceiling_time = absl::GetFlag(FLAGS_ceiling_time);
  o.ordered = absl::GetFlag(FLAGS_ordered);
  o.receiver_delay = absl::GetFlag(FLAGS_receiver_delay);
  for (absl::string_view f :
       absl::StrSplit(absl::GetFlag(FLAGS_deliverer_flags), ',', absl::SkipEmpty())) {
    o.deliverer_flags.emplace_back(f);
  }
  if (o.endpoints < 1 || o.fanout < 1 || o.fanout > o.endpoints || o.deliverers < 1 ||
      o.events < 1 || o.rate <= 0 || o.noisy_events < 1 || o.ceiling_clients < 1 ||
      o.ceiling_batch < 1 ||
      (scenario->first == "hang" && (o.hanging < 0 || o.hanging >= o.endpoints))) {
    std::fprintf(stderr,
                 "argus-bench: need 1 <= fanout <= endpoints, 0 <= hanging < endpoints (hang), "
                 "deliverers >= 1, events >= 1, rate > 0, noisy_events >= 1, ceiling_clients >= 1, "
                 "ceiling_batch >= 1\n");
    return 2;
  }

  Json result = {{"scenario", scenario->first},
                 {"command", absl::StrJoin(argv, argv + argc, " ")},
                 {"git_commit", absl::GetFlag(FLAGS_git_commit)},
                 {"date", absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone())},
                 {"machine", Machine()},
                 {"postgres", PostgresSettings()},
                 {"runs", Json::array()}};
  std::map<std::string, std::vector<double>> all;
  StatementProfile profile;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_repeat)); ++i) {
    profile.Reset();
    Run run;
    try {
      run = scenario->second(o);
    } catch (const ScenarioFailed& e) {
      std::fprintf(stderr, "argus-bench: run %d: %s\n", i + 1, e.what());
      return 1;
    }
    for (std::string& line : profile.Top(8)) run.notes.push_back(std::move(line));
    Json figures(run.figures);
    std::fprintf(stderr, "argus-bench: run %d: %s\n", i + 1, figures.dump().c_str());
    result["runs"].push_back({{"figures", figures}, {"notes", run.notes}});
    for (const auto& [name, value] : run.figures) all[name].push_back(value);
  }
  Json medians = Json::object();
  for (const auto& [name, values] : all) medians[name] = Median(values);
  result["median"] = medians;
  std::printf("%s %s\n", scenario->first.c_str(), medians.dump().c_str());
  if (std::string out = absl::GetFlag(FLAGS_out); !out.empty()) {
    std::ofstream(out) << result.dump(2) << "\n";
  }
  return 0;
}

}  // namespace
}  // namespace argus::bench

int main(int argc, char** argv) { return argus::bench::Main(argc, argv); }
