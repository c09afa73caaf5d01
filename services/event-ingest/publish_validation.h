#ifndef ARGUS_SERVICES_EVENT_INGEST_PUBLISH_VALIDATION_H_
#define ARGUS_SERVICES_EVENT_INGEST_PUBLISH_VALIDATION_H_

#include <cstddef>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "argus/webhooks/v1/event_ingest.pb.h"

namespace argus {

namespace v1 = ::argus::webhooks::v1;

inline constexpr size_t kDefaultMaxPayloadBytes = 256 * 1024;
inline constexpr size_t kMaxIdempotencyKeyBytes = 200;
inline constexpr int kMaxBatchSize = 500;
// The largest request event-ingest receives (gRPC's max receive size): a
// PublishBatch of up to kMaxBatchSize events and 16 MiB in all, or one
// Publish whose payload is at the --max_payload_bytes limit.
inline constexpr int kMaxBatchBytes = 16 * 1024 * 1024;
int MaxPublishMessageBytes(int64_t max_payload_bytes);

// An event ready to store: checked, with its payload as JSON object text.
struct NewEvent {
  std::string type;
  std::string project;                    // "" = none
  std::string idempotency_key;            // "" = none
  std::optional<absl::Time> occurred_at;  // unset when the publisher gave none
  std::string payload_json;               // data_json byte for byte, or data rendered once
};

// Checks one PublishRequest and turns it into a NewEvent. INVALID_ARGUMENT,
// naming the field, for: an empty or unknown type (`is_known_type` fails:
// its error, e.g. UNAVAILABLE when the catalog cannot be read, is returned); both data and
// data_json; data_json that is not JSON or not an object; a payload over `max_payload_bytes`; a
// malformed project slug; an idempotency key over 200 bytes or with a character outside printable
// ASCII; an occurred_at outside years 1..9999; a payload nested deeper than kMaxJsonDepth. No
// payload is
// "{}". Numbers beyond double range stay verbatim in data_json.
absl::StatusOr<NewEvent> ValidatePublishRequest(
    const v1::PublishRequest& request, size_t max_payload_bytes,
    absl::FunctionRef<absl::StatusOr<bool>(absl::string_view)> is_known_type);

}  // namespace argus

#endif  // ARGUS_SERVICES_EVENT_INGEST_PUBLISH_VALIDATION_H_
