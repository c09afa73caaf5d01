#ifndef ARGUS_BENCH_LOAD_GENERATOR_H_
#define ARGUS_BENCH_LOAD_GENERATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace argus::bench {

struct LoadOptions {
  std::string ingest_address;
  std::string publish_token;
  // Events per PublishBatch call; 0 = single Publish calls.
  int batch_size = 0;
  // Events per second; 0 = closed loop (`concurrency` calls always outstanding).
  double rate = 0;
  // Calls outstanding at most.
  int concurrency = 8;
  // Stops after `duration` or `max_events` events, whichever comes first
  // (0 = no event limit).
  absl::Duration duration = absl::Seconds(10);
  int64_t max_events = 0;
  // Events go round-robin to projects g0 … g<groups-1>; endpoints subscribe
  // to one project each, which sets the fan-out.
  int groups = 1;
  // Padding added to each event's data, in bytes.
  int payload_bytes = 0;
  std::string type = "user.login";
};

struct LoadResult {
  int64_t accepted = 0;         // events acknowledged
  int64_t failed = 0;           // events in calls that failed
  int64_t deliveries = 0;       // fan-out reported by ingest
  absl::Duration elapsed;       // first call to last answer
  std::vector<double> call_ms;  // latency of each call
  std::string first_error;
};

// Publishes through the real EventIngest API with the asynchronous gRPC
// client. Each event's data carries "bench_t": Unix nanoseconds at the call,
// from which the receiver computes publish-to-receive latency.
LoadResult RunLoad(const LoadOptions& options);

}  // namespace argus::bench

#endif  // ARGUS_BENCH_LOAD_GENERATOR_H_
