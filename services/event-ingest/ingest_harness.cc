#include "services/event-ingest/ingest_harness.h"

#include "common/channels.h"

namespace argus::testing {

IngestHarness::IngestHarness(const std::string& database_url, bool serve_metrics,
                             size_t max_payload_bytes)
    : base_(database_url, serve_metrics),
      invalidator_(database_url, &cache_),
      deliveries_(database_url, kDeliveriesChannel),
      captures_(database_url, kCapturesChannel),
      store_(&base_.pool(), &cache_, &deliveries_),
      metrics_(base_.host().metrics()),
      service_(&store_, &base_.auth(), &base_.workers(), &metrics_, max_payload_bytes, &captures_) {
  base_.Start({{v1::EventIngest::service_full_name(), &service_}});
  stub_ = v1::EventIngest::NewStub(base_.channel());
}

}  // namespace argus::testing
