// The attempt-record path: whatever a receiver answers (any bytes as the
// body, any status), the row written to PostgreSQL is JSON that parses back,
// whose body is valid UTF-8 without NUL, at most 1 KiB, and a prefix-safe
// rendering of what was received.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "common/utf8_text.h"
#include "services/deliverer/attempt_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  argus::AttemptRecord r;
  r.delivery_id = "0e8c4f3b-1a2d-4e5f-8789-abcdef012345";
  r.endpoint_id = "1e8c4f3b-1a2d-4e5f-8789-abcdef012345";
  r.status_code = size > 0 ? data[0] * 3 : 0;
  r.response_body = bytes;  // as received, unfiltered
  r.request_headers = {{"x-echo", bytes.substr(0, 16)}};
  std::string text = argus::AttemptRowsJson({r});
  nlohmann::json rows = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!rows.is_array() || rows.size() != 1) std::abort();
  // No string holds a NUL (PostgreSQL's jsonb refuses \u0000: SQLSTATE 22P05).
  for (const auto& [name, value] : rows[0]["headers"].items()) {
    if (name.find('\0') != std::string::npos) std::abort();
    if (value.get<std::string>().find('\0') != std::string::npos) std::abort();
  }
  const std::string body = rows[0]["body"].get<std::string>();
  if (body.size() > argus::kMaxResponseBodyBytes) std::abort();
  if (!argus::IsValidUtf8(body) || body.find('\0') != std::string::npos) std::abort();
  // Bytes that were already safe text are kept as they were.
  if (argus::IsValidUtf8(bytes) && bytes.size() <= argus::kMaxResponseBodyBytes &&
      argus::ToSafeText(bytes, bytes.size()) == bytes && body != bytes) {
    std::abort();
  }
  return 0;
}
