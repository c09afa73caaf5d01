// Publish validation must take any data_json, idempotency key and project
// without crashing; what it accepts as data_json is a JSON object, kept as is.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "services/event-ingest/publish_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  argus::webhooks::v1::PublishRequest req;
  req.set_type("user.login");
  req.set_data_json(input);
  req.set_project(input.substr(0, 20));
  req.set_idempotency_key(input.substr(0, 250));
  auto known = [](absl::string_view t) -> absl::StatusOr<bool> { return t == "user.login"; };
  absl::StatusOr<argus::NewEvent> event = argus::ValidatePublishRequest(req, 4096, known);
  if (event.ok() && !input.empty()) {
    if (event->payload_json != input) std::abort();
    nlohmann::json parsed = nlohmann::json::parse(input, nullptr, false);
    if (!parsed.is_object()) std::abort();
  }
  return 0;
}
