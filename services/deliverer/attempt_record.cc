#include "services/deliverer/attempt_record.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "common/utf8_text.h"

namespace argus {

namespace {

// Text of ours (header names and values) as safe as a receiver's: a NUL would
// come out as \u0000, which jsonb refuses.
std::string Safe(const std::string& text) {
  return ToSafeText(text, std::numeric_limits<size_t>::max());
}

}  // namespace

std::string AttemptRowsJson(const std::vector<AttemptRecord>& records) {
  nlohmann::json rows = nlohmann::json::array();
  for (const AttemptRecord& r : records) {
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [name, value] : r.request_headers) headers[Safe(name)] = Safe(value);
    rows.push_back({{"id", r.delivery_id},
                    {"endpoint_id", r.endpoint_id},
                    {"attempt", r.attempt},
                    {"started_us", absl::ToUnixMicros(r.started)},
                    {"duration_us", absl::ToInt64Microseconds(r.duration)},
                    {"status", r.status_code},
                    {"error", std::string(AttemptErrorTag(r.error))},
                    {"body", ToSafeText(r.response_body, kMaxResponseBodyBytes)},
                    {"headers", std::move(headers)},
                    {"sent", ToSafeText(r.request_body, kMaxResponseBodyBytes)}});
  }
  return rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace argus
