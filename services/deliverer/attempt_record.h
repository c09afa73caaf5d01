#ifndef ARGUS_SERVICES_DELIVERER_ATTEMPT_RECORD_H_
#define ARGUS_SERVICES_DELIVERER_ATTEMPT_RECORD_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/retry_policy.h"

namespace argus {

// What is kept of a receiver's response body.
inline constexpr size_t kMaxResponseBodyBytes = 1024;

// One finished attempt and what follows from it.
struct AttemptRecord {
  std::string delivery_id;
  std::string bucket_at;  // ClaimedDelivery::bucket_at: the update goes to one partition
  std::string endpoint_id;
  int attempt = 1;
  absl::Time started;
  absl::Duration duration;
  int status_code = 0;
  AttemptError error = AttemptError::kNone;
  std::string response_body;                           // at most kMaxResponseBodyBytes
  std::map<std::string, std::string> request_headers;  // signatures removed, secrets redacted
  std::string request_body;                            // kept: at most kMaxResponseBodyBytes
  DeliveryVerdict verdict = DeliveryVerdict::kFailed;
  absl::Time next_attempt_at;  // kRetry
  bool disable_endpoint = false;
  std::string disable_reason;
  int64_t sequence = 0;  // its number on an ordered endpoint; 0 = unordered
  // An ordered endpoint's head failed for good and the endpoint pauses
  // (OrderedFailure::kPause): the delivery stays queued at the head
  // (verdict kRetry, due at once), its retry schedule restarting when the
  // endpoint is resumed; nothing after it is skipped.
  bool pause_endpoint = false;
  std::string pause_reason;
};

// The attempt rows of `records` as the JSON array DeliveryStore::Record
// inserts with jsonb_to_recordset. Whatever bytes a receiver sent, the
// result is JSON PostgreSQL accepts: each body is made safe text (see
// ToSafeText: valid UTF-8, no NUL, cut at a character boundary), and any
// other invalid byte is replaced, never thrown on.
std::string AttemptRowsJson(const std::vector<AttemptRecord>& records);

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_ATTEMPT_RECORD_H_
