#include "services/event-ingest/publish_validation.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/json_text.h"
#include "common/proto_time.h"
#include "common/slug.h"
#include "common/status_macros.h"

namespace argus {

int MaxPublishMessageBytes(int64_t max_payload_bytes) {
  // A Struct payload may take up to twice its JSON size (see the early bound
  // below), plus room for the other fields.
  return static_cast<int>(std::max<int64_t>(kMaxBatchBytes, 2 * max_payload_bytes + 64 * 1024));
}

absl::StatusOr<NewEvent> ValidatePublishRequest(
    const v1::PublishRequest& req, size_t max_payload_bytes,
    absl::FunctionRef<absl::StatusOr<bool>(absl::string_view)> is_known_type) {
  NewEvent event;
  if (req.type().empty()) {
    return absl::InvalidArgumentError("type is required, e.g. \"user.login\"");
  }
  absl::StatusOr<bool> known = is_known_type(req.type());
  if (!known.ok()) return known.status();
  if (!*known) {
    return absl::InvalidArgumentError(
        absl::StrCat("type \"", req.type().substr(0, 100),
                     "\" is not in the event catalog; see ListEventTypes"));
  }
  event.type = req.type();
  ARGUS_RETURN_IF_ERROR(ValidateSlug("project", req.project()));
  event.project = req.project();
  if (req.idempotency_key().size() > kMaxIdempotencyKeyBytes) {
    return absl::InvalidArgumentError(absl::StrCat("idempotency_key is ",
                                                   req.idempotency_key().size(), " bytes; at most ",
                                                   kMaxIdempotencyKeyBytes));
  }
  for (char c : req.idempotency_key()) {
    if (c < 0x20 || c > 0x7E) {
      return absl::InvalidArgumentError(
          "idempotency_key may hold only printable ASCII characters (0x20-0x7E)");
    }
  }
  event.idempotency_key = req.idempotency_key();
  if (req.has_occurred_at()) {
    ARGUS_RETURN_IF_ERROR(CheckTimestamp("occurred_at", req.occurred_at()));
    event.occurred_at = FromTimestamp(req.occurred_at());
  }

  if (req.has_data() && !req.data_json().empty()) {
    return absl::InvalidArgumentError("set data or data_json, not both");
  }
  if (!req.data_json().empty()) {
    if (req.data_json().size() > max_payload_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("payload is ", req.data_json().size(),
                                                     " bytes; the limit is ", max_payload_bytes));
    }
    ARGUS_RETURN_IF_ERROR(CheckJsonObjectText("data_json", req.data_json()));
    event.payload_json = req.data_json();
  } else if (req.has_data()) {
    if (req.data().ByteSizeLong() > max_payload_bytes * 2) {  // cheap early bound
      return absl::InvalidArgumentError(
          absl::StrCat("payload is over ", max_payload_bytes, " bytes"));
    }
    auto rendered = google::protobuf::util::MessageToJsonString(req.data(), &event.payload_json);
    if (!rendered.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("data: ", rendered.ToString()));
    }
    if (event.payload_json.size() > max_payload_bytes) {
      return absl::InvalidArgumentError(absl::StrCat("payload is ", event.payload_json.size(),
                                                     " bytes; the limit is ", max_payload_bytes));
    }
  } else {
    event.payload_json = "{}";
  }
  if (int depth = JsonNestingDepth(event.payload_json); depth > kMaxJsonDepth) {
    return absl::InvalidArgumentError(absl::StrCat(
        "payload nests ", depth, " levels of objects and arrays; at most ", kMaxJsonDepth));
  }
  return event;
}

}  // namespace argus
