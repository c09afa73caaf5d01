#include "common/sealed_headers.h"

#include <nlohmann/json.hpp>

namespace argus {

std::string SealHeaders(const SecretBox& box, const std::map<std::string, std::string>& headers,
                        absl::string_view endpoint_id) {
  return box.Seal(nlohmann::json(headers).dump(), endpoint_id);
}

absl::StatusOr<std::map<std::string, std::string>> OpenHeaders(const SecretBox& box,
                                                               absl::string_view sealed,
                                                               absl::string_view endpoint_id) {
  absl::StatusOr<std::string> text = box.Open(sealed, endpoint_id);
  if (!text.ok()) return text.status();
  nlohmann::json parsed = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return absl::DataLossError("sealed headers are not a JSON object");
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : parsed.items()) {
    if (!value.is_string()) return absl::DataLossError("sealed header value is not a string");
    out[name] = value.get<std::string>();
  }
  return out;
}

std::map<std::string, std::string> RedactHeaders(
    const std::map<std::string, std::string>& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) out[name] = kRedactedHeaderValue;
  return out;
}

}  // namespace argus
