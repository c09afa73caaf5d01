#ifndef ARGUS_SERVICES_EVENT_INGEST_EVENT_INGEST_SERVICE_H_
#define ARGUS_SERVICES_EVENT_INGEST_EVENT_INGEST_SERVICE_H_

#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "argus/webhooks/v1/event_ingest.grpc.pb.h"
#include "common/auth.h"
#include "common/mutex.h"
#include "common/pg_notifier.h"
#include "common/unary_call.h"
#include "common/worker_pool.h"
#include "services/event-ingest/event_store.h"
#include "services/event-ingest/ingest_metrics.h"
#include "services/event-ingest/publish_combiner.h"

namespace argus {

// argus.webhooks.v1.EventIngest: Publish and PublishBatch. Needs a `publish`
// token (the org is the token's) or the internal token (the org is the
// request's). Bad input is refused whole with INVALID_ARGUMENT and nothing is
// stored; OK means committed; a database outage is UNAVAILABLE. Concurrent
// calls of one org are committed together (PublishCombiner).
class EventIngestService final : public v1::EventIngest::CallbackService {
 public:
  // `captures` is poked after a commit that stored session.created events
  // (NOTIFY argus_captures: the debouncer counts them).
  EventIngestService(EventStore* store, Authenticator* auth, WorkerPool* workers,
                     IngestMetrics* metrics, size_t max_payload_bytes, PgNotifier* captures);

  grpc::ServerUnaryReactor* Publish(grpc::CallbackServerContext* context,
                                    const v1::PublishRequest* request,
                                    v1::PublishResponse* response) override;
  grpc::ServerUnaryReactor* PublishBatch(grpc::CallbackServerContext* context,
                                         const v1::PublishBatchRequest* request,
                                         v1::PublishBatchResponse* response) override;

 private:
  // Validates, authenticates and stores `requests`; fills `responses` in
  // order and calls `finish` once (after the commit, or at once on a refusal).
  void Handle(const grpc::CallbackServerContext& context,
              const std::vector<const v1::PublishRequest*>& requests, bool batch,
              std::vector<v1::PublishResponse*> responses, FinishFn finish);
  // Reloads the catalog (at most once a second) for a type not in it; the
  // reload's error (an outage) is returned, not "unknown".
  absl::StatusOr<bool> IsKnownType(absl::string_view type);

  EventStore* store_;
  Authenticator* auth_;
  WorkerPool* workers_;
  IngestMetrics* metrics_;
  const size_t max_payload_bytes_;
  PgNotifier* captures_;
  PublishCombiner combiner_;  // concurrent publishes of one org share a commit

  // The event catalog, reloaded when a type is not found (at most once a second).
  Mutex catalog_mu_;
  std::set<std::string, std::less<>> catalog_ ABSL_GUARDED_BY(catalog_mu_);
  absl::Time catalog_loaded_ ABSL_GUARDED_BY(catalog_mu_) = absl::InfinitePast();
};

}  // namespace argus

#endif  // ARGUS_SERVICES_EVENT_INGEST_EVENT_INGEST_SERVICE_H_
