#ifndef ARGUS_SERVICES_ENDPOINT_REGISTRY_ENDPOINT_STORE_H_
#define ARGUS_SERVICES_ENDPOINT_REGISTRY_ENDPOINT_STORE_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/page_token.h"
#include "common/pg_pool.h"

namespace argus {

// An endpoint as stored. Enum fields hold the proto enum values.
struct EndpointRecord {
  std::string id;
  std::string project;  // "" = every project
  std::string label;
  std::string url;
  int format = 0;
  std::vector<std::string> event_types;
  // Names only, each value kRedactedHeaderValue; the values are in
  // sealed_headers (written, never read back).
  std::map<std::string, std::string> headers;
  std::string sealed_headers;
  std::vector<int64_t> retry_schedule_ms;  // empty = default schedule
  uint32_t rate_limit_per_second = 0;
  int state = 1;  // as stored: 4 is "paused in order" (ApiEndpointState)
  std::string disabled_reason;
  int ordering = 0;
  int on_ordered_failure = 1;
  int64_t created_us = 0;
  int64_t updated_us = 0;
  // Last finished attempt, if any.
  std::optional<int64_t> last_attempt_us;
  int last_status_code = 0;
  std::string last_error;
  bool last_success = false;
};

// The fields UpdateEndpoint may change; unset = keep.
struct EndpointChanges {
  std::optional<std::string> label;
  std::optional<std::vector<std::string>> event_types;
  std::optional<std::map<std::string, std::string>> headers;  // redacted, as in EndpointRecord
  std::string sealed_headers;                                 // with `headers`
  std::optional<std::vector<int64_t>> retry_schedule_ms;
  std::optional<uint32_t> rate_limit_per_second;
  std::optional<int> ordering;  // a change numbers or unnumbers the queue
  std::optional<int> on_ordered_failure;
};

struct EventTypeRecord {
  std::string name;
  std::string category;
  std::string description;
};

struct EndpointPage {
  std::vector<EndpointRecord> endpoints;
  std::optional<PageCursor> next;
};

// All SQL of the registry's endpoint RPCs. Every method is scoped to an org:
// another org's endpoint is NOT_FOUND, exactly like one that does not exist.
// Each change notifies channel `argus_endpoints` with the org id, so caches of
// subscriptions (event-ingest) are invalidated when it commits.
class EndpointStore {
 public:
  explicit EndpointStore(PgPool* pool) : pool_(pool) {}

  absl::StatusOr<std::vector<EventTypeRecord>> ListEventTypes();

  // Inserts the endpoint (record.id set by the caller) and, when
  // `sealed_secret` is non-empty, its first signing secret.
  absl::Status Create(const std::string& org_id, const EndpointRecord& record,
                      const std::string& sealed_secret);

  absl::StatusOr<EndpointRecord> Get(const std::string& org_id, const std::string& id);

  absl::StatusOr<EndpointPage> List(const std::string& org_id, int page_size,
                                    const std::optional<PageCursor>& after);

  // Seals the header values of endpoints stored before they were sealed:
  // `seal(id, headers)` returns the sealed form. Returns how many.
  absl::StatusOr<int> SealLegacyHeaders(
      const std::function<std::string(const std::string& id,
                                      const std::map<std::string, std::string>& headers)>& seal);
  absl::StatusOr<EndpointRecord> Update(const std::string& org_id, const std::string& id,
                                        const EndpointChanges& changes);

  // Pause (state PAUSED) or resume (state ENABLED, reason and failure count
  // cleared).
  absl::StatusOr<EndpointRecord> SetState(const std::string& org_id, const std::string& id,
                                          int state);

  // Adds `sealed` as the endpoint's newest secret; the live ones keep signing
  // for `grace` (0 = stop now). FAILED_PRECONDITION for Slack/Discord
  // endpoints. Returns when the previous secrets stop.
  absl::StatusOr<absl::Time> RotateSecret(const std::string& org_id, const std::string& endpoint_id,
                                          const std::string& sealed, absl::Duration grace);

  // Soft-deletes the endpoint, removes its secrets and cancels its pending
  // deliveries; returns how many were cancelled.
  absl::StatusOr<int64_t> Delete(const std::string& org_id, const std::string& id);

 private:
  PgPool* pool_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_ENDPOINT_REGISTRY_ENDPOINT_STORE_H_
