#ifndef ARGUS_SERVICES_EVENT_INGEST_EVENT_STORE_H_
#define ARGUS_SERVICES_EVENT_INGEST_EVENT_STORE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/event_writer.h"
#include "common/pg_notifier.h"
#include "common/pg_pool.h"
#include "services/event-ingest/publish_validation.h"
#include "services/event-ingest/subscription_cache.h"

namespace argus {

struct PublishOutcome {
  std::string event_id;
  bool duplicate = false;
  int fanout = 0;  // deliveries created by this call
};

// All SQL of event-ingest.
class EventStore {
 public:
  // `notifier` wakes the deliverers (NOTIFY argus_deliveries) after commits
  // that created deliveries.
  EventStore(PgPool* pool, SubscriptionCache* cache, PgNotifier* notifier)
      : pool_(pool), cache_(cache), notifier_(notifier) {
    PrepareEventWriter(*pool);
  }

  // Names of the event catalog.
  absl::StatusOr<std::vector<std::string>> LoadCatalog();

  // Stores `events` for `org_id` in one transaction: each event, its
  // idempotency key (a key seen within 24 h makes the event a duplicate:
  // nothing stored, the first event's id returned), and one pending delivery
  // per enabled, matching endpoint; after the commit, pokes the notifier. Outcomes are
  // in request order. OK means committed.
  absl::StatusOr<std::vector<PublishOutcome>> Publish(const std::string& org_id,
                                                      const std::vector<NewEvent>& events);

 private:
  PgPool* pool_;
  SubscriptionCache* cache_;
  PgNotifier* notifier_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_EVENT_INGEST_EVENT_STORE_H_
