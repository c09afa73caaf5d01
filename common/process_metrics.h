#ifndef ARGUS_COMMON_PROCESS_METRICS_H_
#define ARGUS_COMMON_PROCESS_METRICS_H_

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <vector>

namespace argus {

// The standard process metrics of Prometheus client libraries, read from
// /proc at each scrape: process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes,
// process_start_time_seconds, process_open_fds, process_max_fds.
class ProcessMetrics final : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override;
};

// argus_build_info{version,commit} 1, in `registry`.
void RegisterBuildInfo(prometheus::Registry& registry);

}  // namespace argus

#endif  // ARGUS_COMMON_PROCESS_METRICS_H_
