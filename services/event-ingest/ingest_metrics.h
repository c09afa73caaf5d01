#ifndef ARGUS_SERVICES_EVENT_INGEST_INGEST_METRICS_H_
#define ARGUS_SERVICES_EVENT_INGEST_INGEST_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace argus {

// argus_webhook_events_published_total{result}, where result is one of
// accepted, duplicate, rejected (bad input or auth), failed (database);
// argus_webhook_fanout_deliveries_total; argus_webhook_publish_seconds.
class IngestMetrics {
 public:
  explicit IngestMetrics(prometheus::Registry& registry);

  prometheus::Counter& accepted;
  prometheus::Counter& duplicate;
  prometheus::Counter& rejected;
  prometheus::Counter& failed;
  prometheus::Counter& fanout;
  prometheus::Histogram& publish_seconds;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_EVENT_INGEST_INGEST_METRICS_H_
