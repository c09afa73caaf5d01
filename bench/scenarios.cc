#include "bench/scenarios.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "bench/bench_receiver.h"
#include "bench/load_generator.h"
#include "bench/statement_profile.h"
#include "tests/support/https_receiver.h"
#include "tests/support/process.h"
#include "tests/support/suite.h"
#include "tests/support/test_database.h"

namespace argus::bench {
namespace {

using ::argus::testing::Suite;
using ::argus::testing::TestCa;
using ::argus::testing::TestDatabase;
namespace v1 = ::argus::webhooks::v1;

// Thrown, not exit(): unwinding stops the run's services and drops its
// database (exit() would leave them running).
[[noreturn]] void Die(const std::string& message) { throw ScenarioFailed(message); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Arrivals per second between the `from` and `to` shares of all arrivals:
// the sustained rate, without ramp-up and tail.
double SustainedRate(std::vector<int64_t> at_ns, double from, double to) {
  if (at_ns.size() < 20) return 0;
  std::sort(at_ns.begin(), at_ns.end());
  size_t a = static_cast<size_t>(from * static_cast<double>(at_ns.size()));
  size_t b = static_cast<size_t>(to * static_cast<double>(at_ns.size())) - 1;
  double seconds = static_cast<double>(at_ns[b] - at_ns[a]) / 1e9;
  return seconds > 0 ? static_cast<double>(b - a) / seconds : 0;
}

// A field of /proc/PID/status in KiB (VmRSS, VmHWM), 0 if unreadable.
double ProcStatusKiB(pid_t pid, const std::string& field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) != 0) continue;
    double kib = 0;
    std::string number = line.substr(field.size() + 1);
    number = number.substr(0, number.find("kB"));
    if (absl::SimpleAtod(number, &kib)) return kib;
  }
  return 0;
}

// The marker of the deliverer's claim statement in pg_stat_statements.
constexpr char kClaimMarker[] = "unrecorded_claims = q.unrecorded_claims +";

// The services on a fresh database, `endpoints` endpoints on the bench
// receiver (the first `hanging` of them hang), subscribed in groups of
// `fanout` to projects g0, g1, ….
class System {
 public:
  System(const ScenarioOptions& o, int hanging)
      : options_(o),
        ca_(o.tls ? std::make_unique<TestCa>() : nullptr),
        receiver_(ca_.get(), o.receiver_delay) {
    Suite::Options so;
    so.registry_flags = {"--allow_insecure_targets"};
    so.deliverer_flags = {"--allow_insecure_targets", "--request_timeout",
                          absl::FormatDuration(o.request_timeout)};
    if (ca_ != nullptr)
      so.deliverer_flags.insert(so.deliverer_flags.end(), {"--ca_bundle", ca_->ca_cert()});
    so.deliverer_flags.insert(so.deliverer_flags.end(), o.deliverer_flags.begin(),
                              o.deliverer_flags.end());
    so.deliverers = 0;
    suite_ = std::make_unique<Suite>(db_.url(), so);
    if (o.history_days > 0) {
      db_.QueryValue(absl::StrCat("SELECT argus_create_partitions(today - ", o.history_days,
                                  ", today - 1) "
                                  "FROM (SELECT (now() AT TIME ZONE 'UTC')::date AS today) t"));
    }
    groups_ = (o.endpoints + o.fanout - 1) / o.fanout;
    for (int i = 0; i < o.endpoints; ++i) {
      v1::CreateEndpointRequest req;
      req.set_label(absl::StrCat("bench ", i));
      req.set_url(receiver_.Url(absl::StrCat(i < hanging ? "/hang/" : "/ok/", i)));
      req.add_event_types("user.login");
      req.set_project(absl::StrCat("g", i / o.fanout));
      if (o.ordered) req.set_ordering(v1::ORDERED);
      CreateEndpoint(suite_->admin_token(), req);
    }
  }

  int groups() const { return groups_; }
  BenchReceiver& receiver() { return receiver_; }
  Suite& suite() { return *suite_; }
  const TestCa* ca() const { return ca_.get(); }
  StatementProfile& statements() { return statements_; }

  void CreateEndpoint(const std::string& admin_token, const v1::CreateEndpointRequest& req) {
    grpc::ClientContext ctx;
    ctx.AddMetadata("authorization", "Bearer " + admin_token);
    v1::CreateEndpointResponse res;
    grpc::Status s = suite_->registry().CreateEndpoint(&ctx, req, &res);
    if (!s.ok()) Die(absl::StrCat("CreateEndpoint: ", s.error_message()));
  }

  // Publishes as this org, or as the org of l.publish_token when given.
  LoadResult Publish(LoadOptions l) {
    l.ingest_address = suite_->IngestAddress();
    if (l.publish_token.empty()) l.publish_token = suite_->publish_token();
    l.groups = groups_;
    l.payload_bytes = options_.payload_bytes;
    LoadResult r = RunLoad(l);
    if (r.failed > 0) Die(absl::StrCat(r.failed, " events refused: ", r.first_error));
    return r;
  }

  // A backlog of `events` single-event deliveries per subscribed endpoint.
  LoadResult Preload(int64_t events) {
    return Publish(
        {.batch_size = 500, .concurrency = 4, .duration = absl::Hours(1), .max_events = events});
  }

  void StartDeliverers(int n) {
    for (int i = 0; i < n; ++i) suite_->StartDeliverer();
    deliverers_ = n;
  }

  // Stops them cleanly (they drain and exit).
  void StopDeliverers() {
    for (int i = 0; i < deliverers_; ++i) suite_->deliverer(i).Signal(SIGTERM);
    for (int i = 0; i < deliverers_; ++i) {
      if (!suite_->deliverer(i).Wait(absl::Seconds(30))) Die("a deliverer did not stop");
    }
  }

  // The largest of the deliverers' VmRSS or VmHWM.
  double DelivererKiB(const std::string& field) {
    double kib = 0;
    for (int i = 0; i < deliverers_; ++i) {
      kib = std::max(kib, ProcStatusKiB(suite_->deliverer(i).pid(), field));
    }
    return kib;
  }

  // The services' warnings and errors so far (at most `n` lines).
  std::vector<std::string> Problems(size_t n) const {
    std::vector<std::string> out;
    for (absl::string_view line : absl::StrSplit(suite_->AllLogs(), '\n')) {
      // The insecure-targets warning is expected: receivers are on loopback.
      if (out.size() < n && !absl::StrContains(line, "INSECURE TARGETS") &&
          (absl::StrContains(line, "level=warn") || absl::StrContains(line, "level=error"))) {
        out.emplace_back(line);
      }
    }
    return out;
  }

  double SqlNumber(const std::string& query) const {
    double v = 0;
    (void)absl::SimpleAtod(db_.QueryValue(query), &v);
    return v;
  }

  // The claim's mean execution time since the statements were last reset.
  void AddClaimMean(Figures& f) {
    if (std::optional<double> ms = statements_.MeanMs(kClaimMarker)) f["claim_mean_ms"] = *ms;
  }

  // The ceiling over the open deliveries there are now: pgbench runs only
  // the statements one delivery needs, as the deliverer batches them (one
  // claim of `ceiling_batch`, then its attempts and results in one durable
  // transaction), without HTTP, signing or any service code: adds
  // ceiling_deliveries_per_s to `r`.
  void MeasureCeiling(Run& r) {
    // Statistics of the backlog as a running system has them: with whatever
    // autovacuum's ANALYZE had reached right after the preload, three runs
    // of one session made 640, 4,280 and 13,830 deliveries/s.
    db_.QueryValue("ANALYZE delivery_queue, deliveries, events");
    double before = SqlNumber("SELECT count(*) FROM delivery_queue");
    int seconds = std::max<int64_t>(1, absl::ToInt64Seconds(options_.ceiling_time));
    testing::CommandResult pgbench = testing::RunCommand(
        {"/usr/bin/pgbench", "--no-vacuum", "--protocol=prepared", "--client",
         absl::StrCat(options_.ceiling_clients), "--jobs", absl::StrCat(options_.ceiling_clients),
         "--time", absl::StrCat(seconds), "--define",
         absl::StrCat("batch=", options_.ceiling_batch), "--file", ARGUS_BENCH_DIR "/ceiling.sql",
         db_.url()},
        {}, absl::Seconds(seconds + 60));
    if (pgbench.exit_code != 0) Die(absl::StrCat("pgbench failed: ", pgbench.err, pgbench.out));
    double after = SqlNumber("SELECT count(*) FROM delivery_queue");
    r.figures["ceiling_deliveries_per_s"] = (before - after) / seconds;
    if (after == 0) r.notes.push_back("the ceiling's backlog ran out: its rate is a lower bound");
  }

 private:
  const ScenarioOptions& options_;
  TestDatabase db_;
  std::unique_ptr<TestCa> ca_;
  BenchReceiver receiver_;
  StatementProfile statements_;
  std::unique_ptr<Suite> suite_;
  int groups_ = 1;
  int deliverers_ = 0;
};

// Waits for `expected` 200s, allowing at least 200 deliveries/s.
void AwaitDeliveries(System& s, int64_t expected) {
  absl::Duration timeout = absl::Seconds(60) + absl::Seconds(expected / 200);
  if (!s.receiver().WaitForOk(expected, timeout)) {
    Die(absl::StrCat("only ", s.receiver().Counts().ok, " of ", expected,
                     " deliveries arrived within ", absl::FormatDuration(timeout)));
  }
}

void AddPercentiles(Figures& f, const std::string& name, const std::vector<double>& v) {
  f[name + "_p50_ms"] = Percentile(v, 0.50);
  f[name + "_p90_ms"] = Percentile(v, 0.90);
  f[name + "_p99_ms"] = Percentile(v, 0.99);
}

// Publishes at `rate` for `duration` with the deliverers running: the
// publish-to-receive and Publish-call percentiles, and the claim's mean
// time over the same span.
Run MeasureLatency(System& s, const ScenarioOptions& o) {
  s.statements().Reset();
  absl::Time start = absl::Now();
  LoadResult load = s.Publish({.rate = o.rate, .concurrency = 512, .duration = o.duration});
  AwaitDeliveries(s, load.deliveries);
  // The first seconds warm caches and connections; they are not the steady state.
  absl::Duration warmup = std::min(absl::Seconds(2), o.duration / 5);
  Run r;
  AddPercentiles(r.figures, "publish_to_receive", s.receiver().LatenciesMs(start + warmup));
  AddPercentiles(r.figures, "publish_call", load.call_ms);
  r.figures["events_per_s"] =
      static_cast<double>(load.accepted) / absl::ToDoubleSeconds(load.elapsed);
  s.AddClaimMean(r.figures);
  r.notes = s.Problems(10);
  return r;
}

}  // namespace

Run Throughput(const ScenarioOptions& o) {
  System s(o, 0);
  LoadResult load = s.Preload(o.events);
  absl::Time start = absl::Now();
  s.StartDeliverers(o.deliverers);
  AwaitDeliveries(s, load.deliveries);
  Run r;
  std::vector<int64_t> arrivals = s.receiver().OkArrivals();
  r.figures["deliveries_per_s"] = SustainedRate(arrivals, 0.05, 0.95);
  r.figures["drain_s"] = absl::ToDoubleSeconds(
      absl::FromUnixNanos(*std::max_element(arrivals.begin(), arrivals.end())) - start);
  r.figures["deliveries"] = static_cast<double>(load.deliveries);
  r.figures["duplicates"] = static_cast<double>(s.receiver().Counts().duplicates);
  if (o.ordered)
    r.figures["out_of_order"] = static_cast<double>(s.receiver().Counts().out_of_order);
  r.figures["deliverer_peak_rss_kib"] = s.DelivererKiB("VmHWM");
  r.notes = s.Problems(10);
  if (o.with_ceiling) {
    // The same cluster, partitions and backlog size, a moment later.
    s.StopDeliverers();
    s.Preload(o.events);
    s.MeasureCeiling(r);
    r.figures["share_of_ceiling"] =
        r.figures["deliveries_per_s"] / r.figures["ceiling_deliveries_per_s"];
  }
  return r;
}

Run Latency(const ScenarioOptions& o) {
  System s(o, 0);
  s.StartDeliverers(o.deliverers);
  Run r = MeasureLatency(s, o);
  r.figures["duplicates"] = static_cast<double>(s.receiver().Counts().duplicates);
  return r;
}

Run Neighbour(const ScenarioOptions& o) {
  System s(o, 0);
  BenchReceiver noisy_receiver(s.ca());
  {
    v1::CreateEndpointRequest req;
    req.set_label("noisy neighbour");
    req.set_url(noisy_receiver.Url("/ok/noisy"));
    req.add_event_types("user.login");
    req.set_rate_limit_per_second(1);
    s.CreateEndpoint(s.suite().MintToken("noisy", "admin"), req);
  }
  LoadResult backlog = s.Publish({.publish_token = s.suite().MintToken("noisy", "publish"),
                                  .batch_size = 500,
                                  .concurrency = 4,
                                  .duration = absl::Hours(1),
                                  .max_events = o.noisy_events});
  s.StartDeliverers(o.deliverers);
  Run r = MeasureLatency(s, o);
  r.figures["noisy_backlog"] = static_cast<double>(backlog.deliveries);
  r.figures["noisy_received"] = static_cast<double>(noisy_receiver.Counts().ok);
  r.figures["deliverer_peak_rss_kib"] = s.DelivererKiB("VmHWM");
  return r;
}

Run Ceiling(const ScenarioOptions& o) {
  System s(o, 0);
  s.Preload(o.events);
  Run r;
  s.MeasureCeiling(r);
  return r;
}

Run Ingest(const ScenarioOptions& o) {
  System s(o, 0);
  LoadResult load = s.Publish({.batch_size = 500, .concurrency = 4, .duration = o.duration});
  double seconds = absl::ToDoubleSeconds(load.elapsed);
  Run r;
  r.figures["events_per_s"] = static_cast<double>(load.accepted) / seconds;
  r.figures["deliveries_per_s"] = static_cast<double>(load.deliveries) / seconds;
  AddPercentiles(r.figures, "batch_call", load.call_ms);
  return r;
}

Run Hang(const ScenarioOptions& o) {
  // Healthy deliveries/s while draining a backlog, with `hanging` endpoints.
  auto drain = [&](int hanging) {
    System s(o, hanging);
    LoadResult load = s.Preload(o.events);
    int hanging_groups = (hanging + o.fanout - 1) / o.fanout;
    int64_t healthy = 0;
    for (int64_t n = 0; n < load.accepted; ++n) {
      if (n % s.groups() >= hanging_groups) healthy += o.fanout;
    }
    s.StartDeliverers(o.deliverers);
    AwaitDeliveries(s, healthy);
    return SustainedRate(s.receiver().OkArrivals(), 0.05, 0.95);
  };
  Run r;
  r.figures["all_healthy_per_s"] = drain(0);
  r.figures["with_hanging_per_s"] = drain(o.hanging);
  r.figures["healthy_share_kept"] =
      r.figures["with_hanging_per_s"] / r.figures["all_healthy_per_s"];
  return r;
}

Run Soak(const ScenarioOptions& o) {
  System s(o, 0);
  s.StartDeliverers(o.deliverers);
  LoadResult load;
  std::thread publisher(
      [&] { load = s.Publish({.rate = o.rate, .concurrency = 512, .duration = o.duration}); });
  Run r;
  absl::Time start = absl::Now();
  auto sample = [&](const std::string& name, double value) {
    Figures& f = r.figures;
    if (!f.contains(name + "_first")) f[name + "_first"] = value;
    f[name + "_last"] = value;
    f[name + "_max"] = std::max(f[name + "_max"], value);
  };
  for (absl::Time at = start + o.sample_every; at <= start + o.duration; at += o.sample_every) {
    absl::SleepFor(at - absl::Now());
    double depth = s.SqlNumber("SELECT count(*) FROM delivery_queue");
    double dead = s.SqlNumber(
        "SELECT coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables "
        "WHERE relname = 'endpoints' "
        "OR relname ~ '^(deliveries|delivery_attempts|events)_([0-9]{8}|default)$'");
    double rss = s.DelivererKiB("VmRSS");
    sample("queue_depth", depth);
    sample("dead_tuples", dead);
    sample("deliverer_rss_kib", rss);
    r.notes.push_back(absl::StrCat(
        "t=", absl::ToInt64Seconds(absl::Now() - start), "s queue_depth=", depth,
        " dead_tuples=", dead, " deliverer_rss_kib=", rss, " received=", s.receiver().Counts().ok));
    std::fprintf(stderr, "soak: %s\n", r.notes.back().c_str());
  }
  publisher.join();
  AwaitDeliveries(s, load.deliveries);
  r.figures["events_per_s"] =
      static_cast<double>(load.accepted) / absl::ToDoubleSeconds(load.elapsed);
  r.figures["deliverer_peak_rss_kib"] = s.DelivererKiB("VmHWM");
  return r;
}

}  // namespace argus::bench
