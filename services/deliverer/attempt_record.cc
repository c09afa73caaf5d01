#include "services/deliverer/attempt_record.h"

#include <nlohmann/json.hpp>

#include "common/utf8_text.h"

namespace argus {

std::string AttemptRowsJson(const std::vector<AttemptRecord>& records) {
  nlohmann::json rows = nlohmann::json::array();
  for (const AttemptRecord& r : records) {
    rows.push_back({{"id", r.delivery_id},
                    {"endpoint_id", r.endpoint_id},
                    {"attempt", r.attempt},
                    {"started_us", absl::ToUnixMicros(r.started)},
                    {"duration_us", absl::ToInt64Microseconds(r.duration)},
                    {"status", r.status_code},
                    {"error", r.error},
                    {"body", ToSafeText(r.response_body, kMaxResponseBodyBytes)},
                    {"headers", r.request_headers}});
  }
  return rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace argus
