#ifndef ARGUS_SERVICES_EVENT_INGEST_INGEST_HARNESS_H_
#define ARGUS_SERVICES_EVENT_INGEST_INGEST_HARNESS_H_

#include <memory>
#include <string>

#include "argus/webhooks/v1/event_ingest.grpc.pb.h"
#include "services/event-ingest/event_ingest_service.h"
#include "services/event-ingest/event_store.h"
#include "services/event-ingest/ingest_metrics.h"
#include "services/event-ingest/subscription_cache.h"
#include "tests/support/service_harness.h"

namespace argus::testing {

// A real event-ingest in-process (see ServiceHarness), cache invalidation
// included, with a client stub.
class IngestHarness {
 public:
  explicit IngestHarness(const std::string& database_url, bool serve_metrics = false,
                         size_t max_payload_bytes = kDefaultMaxPayloadBytes);

  std::string MintToken(const std::string& org, const std::string& scope) {
    return base_.MintToken(org, scope);
  }
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    return ServiceHarness::Context(token);
  }
  v1::EventIngest::Stub& stub() { return *stub_; }
  int metrics_port() { return base_.host().metrics_port(); }

 private:
  ServiceHarness base_;
  SubscriptionCache cache_;
  SubscriptionInvalidator invalidator_;
  PgNotifier deliveries_;
  PgNotifier captures_;
  EventStore store_;
  IngestMetrics metrics_;
  EventIngestService service_;
  std::unique_ptr<v1::EventIngest::Stub> stub_;
};

}  // namespace argus::testing

#endif  // ARGUS_SERVICES_EVENT_INGEST_INGEST_HARNESS_H_
