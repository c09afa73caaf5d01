#include "services/event-ingest/ingest_metrics.h"

namespace argus {
namespace {

prometheus::Family<prometheus::Counter>& Published(prometheus::Registry& r) {
  return prometheus::BuildCounter()
      .Name("argus_webhook_events_published_total")
      .Help("Events given to Publish/PublishBatch, by result.")
      .Register(r);
}

}  // namespace

IngestMetrics::IngestMetrics(prometheus::Registry& r)
    : accepted(Published(r).Add({{"result", "accepted"}})),
      duplicate(Published(r).Add({{"result", "duplicate"}})),
      rejected(Published(r).Add({{"result", "rejected"}})),
      failed(Published(r).Add({{"result", "failed"}})),
      fanout(prometheus::BuildCounter()
                 .Name("argus_webhook_fanout_deliveries_total")
                 .Help("Deliveries created by published events.")
                 .Register(r)
                 .Add({})),
      publish_seconds(prometheus::BuildHistogram()
                          .Name("argus_webhook_publish_seconds")
                          .Help("Time to validate and commit a Publish or PublishBatch call.")
                          .Register(r)
                          .Add({}, prometheus::Histogram::BucketBoundaries{
                                       0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25,
                                       0.5, 1, 2.5})) {}

}  // namespace argus
