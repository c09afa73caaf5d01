#include "services/event-ingest/publish_validation.h"

#include <google/protobuf/util/json_util.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json_text.h"
#include "common/proto_time.h"
#include "common/slug.h"

namespace argus {

absl::StatusOr<NewEvent> ValidatePublishRequest(
    const v1::PublishRequest& req, size_t max_payload_bytes,
    absl::FunctionRef<bool(absl::string_view)> is_known_type, absl::Time now) {
  NewEvent event;
  if (req.type().empty()) {
    return absl::InvalidArgumentError("type is required, e.g. \"user.login\"");
  }
  if (!is_known_type(req.type())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "type \"", req.type().substr(0, 100), "\" is not in the event catalog; see ListEventTypes"));
  }
  event.type = req.type();
  if (absl::Status s = ValidateSlug("project", req.project()); !s.ok()) return s;
  event.project = req.project();
  if (req.idempotency_key().size() > kMaxIdempotencyKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "idempotency_key is ", req.idempotency_key().size(), " bytes; at most ",
        kMaxIdempotencyKeyBytes));
  }
  event.idempotency_key = req.idempotency_key();
  if (req.has_occurred_at()) {
    // Years 1..9999, as google.protobuf.Timestamp defines them.
    constexpr int64_t kMinSeconds = -62135596800;
    constexpr int64_t kMaxSeconds = 253402300799;
    const auto& ts = req.occurred_at();
    if (ts.seconds() < kMinSeconds || ts.seconds() > kMaxSeconds || ts.nanos() < 0 ||
        ts.nanos() > 999999999) {
      return absl::InvalidArgumentError("occurred_at is not a valid timestamp");
    }
    event.occurred_at = FromTimestamp(req.occurred_at());
  } else {
    event.occurred_at = now;
  }

  if (req.has_data() && !req.data_json().empty()) {
    return absl::InvalidArgumentError("set data or data_json, not both");
  }
  if (!req.data_json().empty()) {
    if (req.data_json().size() > max_payload_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "payload is ", req.data_json().size(), " bytes; the limit is ", max_payload_bytes));
    }
    if (!IsJsonObjectText(req.data_json())) {
      return absl::InvalidArgumentError("data_json must be a JSON object, like {\"userId\": \"u1\"}");
    }
    event.payload_json = req.data_json();
  } else if (req.has_data()) {
    if (req.data().ByteSizeLong() > max_payload_bytes * 2) {  // cheap early bound
      return absl::InvalidArgumentError(absl::StrCat("payload is over ", max_payload_bytes, " bytes"));
    }
    auto rendered = google::protobuf::util::MessageToJsonString(req.data(), &event.payload_json);
    if (!rendered.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("data: ", rendered.ToString()));
    }
    if (event.payload_json.size() > max_payload_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "payload is ", event.payload_json.size(), " bytes; the limit is ", max_payload_bytes));
    }
  } else {
    event.payload_json = "{}";
  }
  return event;
}

}  // namespace argus
