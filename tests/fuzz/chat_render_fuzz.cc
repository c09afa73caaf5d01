// Native, Slack and Discord rendering of any payload: no crash, and every
// body is valid JSON, for every payload ingest accepts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "common/json_text.h"
#include "common/webhook_payloads.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  if (!argus::IsJsonObjectText(input)) return 0;  // all that ingest stores
  for (const char* type :
       {"test_session.completed", "session.created", "billing.payment_failed", "user.login"}) {
    argus::EventEnvelope e{.id = "id",
                           .type = type,
                           .org = "org",
                           .project = "proj",
                           .created = absl::UnixEpoch(),
                           .occurred = absl::FromUnixMillis(size),
                           .data_json = input};
    for (const std::string& body : {argus::RenderSlackBody(e), argus::RenderDiscordBody(e)}) {
      if (!nlohmann::json::accept(body)) std::abort();
    }
    if (!nlohmann::json::accept(argus::RenderNativeBody(e))) std::abort();
  }
  return 0;
}
