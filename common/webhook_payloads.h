#ifndef ARGUS_COMMON_WEBHOOK_PAYLOADS_H_
#define ARGUS_COMMON_WEBHOOK_PAYLOADS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace argus {

// What a receiver is told about one event.
struct EventEnvelope {
  std::string id;  // event UUID: the same on every retry and redelivery
  std::string type;
  std::string org;      // org slug
  std::string project;  // "" = none
  absl::Time created;
  std::optional<absl::Time> occurred;  // the publisher's occurred_at, when given
  std::string data_json;               // a JSON object, inserted verbatim
  // An ordered endpoint's number for it (1, 2, ...); 0 = unordered, none sent.
  int64_t sequence = 0;
};

// The native body: {"id","type","created"(unix s),"timestamp"(RFC 3339 UTC),
// "occurred_at"(RFC 3339 UTC, only when the publisher gave it),
// "org","project"(null when none),"sequence"(ordered endpoints only),"data"}
// with data byte for byte.
std::string RenderNativeBody(const EventEnvelope& event);

// Chat wording per event type (seed 000's table; a generic line for the
// rest). test_session.completed lists the first three captures and
// "…and N more".
enum class ChatDialect { kSlack, kDiscord };
std::string RenderChatText(const EventEnvelope& event, ChatDialect dialect);

// Slack incoming-webhook body: {"text", "blocks":[{"type":"section",
// "text":{"type":"mrkdwn","text"}}]}, both carrying the same text.
std::string RenderSlackBody(const EventEnvelope& event);

// Discord webhook body: {"content", "embeds":[{"title","description",
// "timestamp","color"}]}.
std::string RenderDiscordBody(const EventEnvelope& event);

}  // namespace argus

#endif  // ARGUS_COMMON_WEBHOOK_PAYLOADS_H_
