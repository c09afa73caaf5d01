#ifndef ARGUS_SERVICES_ENDPOINT_REGISTRY_DELIVERY_LOG_STORE_H_
#define ARGUS_SERVICES_ENDPOINT_REGISTRY_DELIVERY_LOG_STORE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/event_writer.h"
#include "common/page_token.h"
#include "common/pg_pool.h"

namespace argus {

struct AttemptRow {
  int attempt = 0;
  int64_t started_us = 0;
  int64_t duration_us = 0;
  int status_code = 0;
  std::string error;
  std::string response_body;
  std::map<std::string, std::string> request_headers;
  std::string request_body;
};

struct EventRow {
  std::string id;
  std::string type;
  std::string project;  // "" = none
  std::optional<int64_t> occurred_us;
  int64_t created_us = 0;
  std::string payload_json;
};

struct DeliveryRow {
  std::string id;
  std::string event_id;
  std::string endpoint_id;
  std::string event_type;
  int state = 1;  // argus.webhooks.v1.DeliveryStatus
  int attempts = 0;
  int64_t created_us = 0;
  int64_t next_attempt_us = 0;
  std::optional<int64_t> last_attempt_us;
  int last_status_code = 0;
  std::string last_error;
  std::vector<AttemptRow> attempt_log;  // Get only
};

struct DeliveryPage {
  std::vector<DeliveryRow> deliveries;
  std::optional<PageCursor> next;
};

struct EndpointStatsRow {
  int64_t attempts = 0;
  int64_t successes = 0;
  std::map<std::string, int64_t> failures_by_result;
  int64_t pending = 0;
  int64_t failed = 0;
  int64_t p50_us = 0;
  int64_t p99_us = 0;
  std::optional<int64_t> last_attempt_us;
  int last_status_code = 0;
  std::string last_error;
};

// SQL of the registry's delivery-log RPCs. Scoped to an org like
// EndpointStore: other orgs' ids are NOT_FOUND.
class DeliveryLogStore {
 public:
  // Registers the event writer's statement with `pool`.
  explicit DeliveryLogStore(PgPool* pool) : pool_(pool) { PrepareEventWriter(*pool); }

  // An endpoint's deliveries, newest first; `state` 0 = all.
  absl::StatusOr<DeliveryPage> List(const std::string& org_id, const std::string& endpoint_id,
                                    int state, int page_size,
                                    const std::optional<PageCursor>& after);
  // One event of the org, as published.
  absl::StatusOr<EventRow> GetEvent(const std::string& org_id, const std::string& event_id);
  // One delivery with every attempt.
  absl::StatusOr<DeliveryRow> Get(const std::string& org_id, const std::string& delivery_id);
  // Queues one delivery again (same event, so the same envelope id), with a
  // fresh retry schedule. FAILED_PRECONDITION while it is being sent.
  absl::Status Redeliver(const std::string& org_id, const std::string& delivery_id);
  // Queues again every failed delivery of the endpoint created at or after
  // `since`; returns how many.
  absl::StatusOr<int64_t> RecoverFailed(const std::string& org_id, const std::string& endpoint_id,
                                        absl::Time since);
  absl::StatusOr<EndpointStatsRow> Stats(const std::string& org_id, const std::string& endpoint_id,
                                         absl::Duration window);
  // A webhook.test event delivered to this endpoint only. Returns the
  // delivery id. FAILED_PRECONDITION unless the endpoint is enabled.
  absl::StatusOr<std::string> SendTestEvent(const std::string& org_id,
                                            const std::string& endpoint_id,
                                            const std::string& event_id,
                                            const std::string& payload_json);

 private:
  PgPool* pool_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_ENDPOINT_REGISTRY_DELIVERY_LOG_STORE_H_
