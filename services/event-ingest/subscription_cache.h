#ifndef ARGUS_SERVICES_EVENT_INGEST_SUBSCRIPTION_CACHE_H_
#define ARGUS_SERVICES_EVENT_INGEST_SUBSCRIPTION_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "common/event_writer.h"
#include "common/mutex.h"
#include "common/pg_listener.h"

namespace argus {

// Per-org subscriptions, so publishing costs no endpoint query per event.
// Correctness never rests on the cache: each publish transaction compares
// the cached version with orgs.endpoints_version and reloads on mismatch.
// NOTIFYs on `argus_endpoints` only evict entries early.
class SubscriptionCache {
 public:
  std::shared_ptr<const OrgSubscriptions> Get(const std::string& org_id);
  void Put(const std::string& org_id, OrgSubscriptions subs);
  void Evict(const std::string& org_id);
  void Clear();

 private:
  Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const OrgSubscriptions>> by_org_
      ABSL_GUARDED_BY(mu_);
};

// LISTENs on `argus_endpoints` and evicts the org named in each
// notification; whenever it (re)connects it clears the whole cache, since
// changes made meanwhile were not heard.
class SubscriptionInvalidator {
 public:
  SubscriptionInvalidator(std::string database_url, SubscriptionCache* cache);

 private:
  PgListener listener_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_EVENT_INGEST_SUBSCRIPTION_CACHE_H_
