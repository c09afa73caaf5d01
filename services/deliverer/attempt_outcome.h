#ifndef ARGUS_SERVICES_DELIVERER_ATTEMPT_OUTCOME_H_
#define ARGUS_SERVICES_DELIVERER_ATTEMPT_OUTCOME_H_

#include <map>
#include <string>

#include "absl/time/time.h"
#include "services/deliverer/attempt_record.h"
#include "services/deliverer/delivery_queue.h"
#include "services/deliverer/webhook_sender.h"

namespace argus {

// A request that ended (or could not be made), with what the record keeps
// of what was sent.
struct FinishedRequest {
  ClaimedDelivery delivery;
  std::map<std::string, std::string> request_headers;  // WebhookRequest::logged_headers
  std::string request_body;                            // its start
  HttpResult result;
};

struct AttemptOutcomeDecision {
  AttemptRecord record;       // the next state and time, ready to write
  std::string metric_result;  // the `result` label of argus_webhook_delivery_attempts_total
};

// What an attempt comes to (DecideNext over the endpoint's schedule, from
// the attempt after its last redelivery; Retry-After honoured on 429 and
// 503), at `now`, with `jitter` in [-1, 1] for the retry delay. A final
// failure of an ordered endpoint's delivery pauses the endpoint instead
// when its on_ordered_failure says so. Pure.
AttemptOutcomeDecision DecideAttempt(FinishedRequest request, absl::Time now, double jitter);

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_ATTEMPT_OUTCOME_H_
