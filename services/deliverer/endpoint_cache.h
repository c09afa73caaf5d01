#ifndef ARGUS_SERVICES_DELIVERER_ENDPOINT_CACHE_H_
#define ARGUS_SERVICES_DELIVERER_ENDPOINT_CACHE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"
#include "services/deliverer/endpoint_config.h"

namespace pqxx {
class transaction_base;
}

namespace argus {

// Every endpoint's EndpointConfig, versioned like event-ingest's
// subscriptions: a change to an endpoint's config (or its secrets) gives
// it the next value of a counter the changing transaction holds until it
// commits (migration 0008), so the counter read in a claim's snapshot says
// whether the cache is current, and a refresh reads only the endpoints
// above the highest version seen. A claim then needs no join of endpoints
// and secrets per row. Thread-safe.
class EndpointCache {
 public:
  // The highest config version loaded (0: nothing yet).
  int64_t version() const;

  // Loads the endpoints changed since version() (all of them the first
  // time), in `tx`'s snapshot.
  void Refresh(pqxx::transaction_base& tx);

  // The endpoint's config, or null when it is unknown.
  std::shared_ptr<const EndpointConfig> Find(const std::string& endpoint_id) const;

 private:
  mutable Mutex mu_;
  int64_t version_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, std::shared_ptr<const EndpointConfig>> endpoints_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_ENDPOINT_CACHE_H_
