#ifndef ARGUS_SERVICES_DEBOUNCER_DEBOUNCER_METRICS_H_
#define ARGUS_SERVICES_DEBOUNCER_DEBOUNCER_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace argus {

// argus_webhook_test_sessions_open, argus_webhook_test_sessions_completed_total
// (by this replica) and argus_webhook_captures_skipped_total (captures the
// database refuses to count).
class DebouncerMetrics {
 public:
  explicit DebouncerMetrics(prometheus::Registry& registry);

  prometheus::Gauge& open;
  prometheus::Counter& completed;
  prometheus::Counter& skipped;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DEBOUNCER_DEBOUNCER_METRICS_H_
