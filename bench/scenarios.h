#ifndef ARGUS_BENCH_SCENARIOS_H_
#define ARGUS_BENCH_SCENARIOS_H_

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace argus::bench {

// What one scenario run is given (from argus-bench's flags).
struct ScenarioOptions {
  int64_t events = 20000;  // backlog size (throughput, hang)
  int deliverers = 2;
  double rate = 1000;  // events/s (latency, soak)
  absl::Duration duration = absl::Seconds(20);
  int endpoints = 100;
  int fanout = 1;
  int hanging = 10;  // of `endpoints` (hang)
  int payload_bytes = 256;
  absl::Duration request_timeout = absl::Seconds(5);
  absl::Duration sample_every = absl::Seconds(10);  // soak
  // Past days with partitions of their own (empty), as under a 30-day
  // retention: every plan sees the partition count production sees.
  int history_days = 30;
  std::vector<std::string> deliverer_flags;
  // Receivers speak HTTPS (a throwaway CA the deliverers are given).
  bool tls = false;
  // (f): the other org's backlog, on an endpoint limited to 1 request/s.
  int64_t noisy_events = 1000000;
  // The ceiling: pgbench clients, deliveries per claim, and how long.
  int ceiling_clients = 4;
  int ceiling_batch = 100;
  absl::Duration ceiling_time = absl::Seconds(10);
  // (a) measures the ceiling on the same cluster after its drain.
  bool with_ceiling = false;
  // (g): the endpoints are ORDERED, and the receiver answers each request
  // after this long.
  bool ordered = false;
  absl::Duration receiver_delay = absl::ZeroDuration();
};

// Named figures of one run, e.g. {"deliveries_per_s", 5123}. Figures
// ending in "_ms" are latencies, "_kib" sizes.
using Figures = std::map<std::string, double>;

// A run that cannot be measured (a refused event, a missing delivery): its
// services are stopped and its database dropped as it unwinds.
struct ScenarioFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Run {
  Figures figures;
  std::vector<std::string> notes;  // e.g. the soak's samples, one per line
};

// (a) A backlog of `events` drained by `deliverers` replicas: deliveries/s
// between 5% and 95% of arrivals, and the replicas' peak RSS; with
// `with_ceiling`, also the ceiling's rate and our share of it. With
// `ordered` (g), also the deliveries the receiver saw out of order.
Run Throughput(const ScenarioOptions& o);
// (b) Publish at `rate` for `duration` with `deliverers` replicas running:
// publish-to-receive latency percentiles and the claim's mean time.
Run Latency(const ScenarioOptions& o);
// (c) PublishBatch (500 per call, closed loop) for `duration`, no
// deliverers: events and deliveries accepted per second.
Run Ingest(const ScenarioOptions& o);
// (d) A backlog over `endpoints` endpoints drained twice: all healthy, then
// with `hanging` of them hanging until the request timeout; healthy
// deliveries/s of both and their ratio.
Run Hang(const ScenarioOptions& o);
// (e) Publish at `rate` for `duration`, sampling queue depth, dead tuples
// and deliverer RSS every `sample_every`; first/last/max of each.
Run Soak(const ScenarioOptions& o);
// (f) Another org holds `noisy_events` due deliveries on an endpoint
// limited to 1 request/s while this org publishes at `rate` for
// `duration`: this org's publish-to-receive percentiles and the claim's
// mean time.
Run Neighbour(const ScenarioOptions& o);
// The ceiling: a backlog of `events`, then pgbench runs only the statements
// one delivery needs (claim, record the attempt, record the result) with
// `ceiling_clients` clients and claims of `ceiling_batch` for
// `ceiling_time`: deliveries/s with no HTTP, signing or service code.
Run Ceiling(const ScenarioOptions& o);

}  // namespace argus::bench

#endif  // ARGUS_BENCH_SCENARIOS_H_
