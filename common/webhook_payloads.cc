#include "common/webhook_payloads.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "common/json_text.h"

namespace argus {
namespace {

using Json = nlohmann::json;

constexpr int kListedCaptures = 3;

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// With the fraction of a second the publisher gave, if any.
std::string Rfc3339Precise(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

// Formats interpolated values for one chat dialect.
class Chat {
 public:
  Chat(ChatDialect dialect, const Json& data) : dialect_(dialect), data_(data) {}

  // A string field of data, escaped; `fallback` when absent.
  std::string Field(const char* key, absl::string_view fallback = "?") const {
    return Escape(Raw(data_, key, fallback));
  }
  // A number field with `decimals` digits after the point; "?" when absent.
  std::string Number(const Json& obj, const char* key, int decimals) const {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_number()) return "?";
    double value = it->get<double>();
    if (!std::isfinite(value)) return "?";  // beyond double range, e.g. 1e400
    return absl::StrFormat("%.*f", decimals, value);
  }
  std::string Bold(absl::string_view s) const {
    return dialect_ == ChatDialect::kSlack ? absl::StrCat("*", s, "*")
                                           : absl::StrCat("**", s, "**");
  }
  std::string Code(absl::string_view s) const { return absl::StrCat("`", s, "`"); }
  std::string Link(absl::string_view url, absl::string_view text) const {
    if (url.empty()) return std::string(text);
    return dialect_ == ChatDialect::kSlack ? absl::StrCat("<", url, "|", text, ">")
                                           : absl::StrCat("[", text, "](", url, ")");
  }
  std::string Escape(absl::string_view s) const {
    if (dialect_ == ChatDialect::kSlack) {
      return absl::StrReplaceAll(s, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}});
    }
    return absl::StrReplaceAll(s, {{"*", "\\*"}, {"_", "\\_"}, {"`", "\\`"}, {"@", "@\u200b"}});
  }
  static std::string Raw(const Json& obj, const char* key, absl::string_view fallback) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return std::string(fallback);
    return it->is_string() ? it->get<std::string>() : it->dump();
  }

 private:
  ChatDialect dialect_;
  const Json& data_;
};

std::string TestSessionCompleted(const Chat& c, const Json& d, const std::string& project) {
  std::string text = absl::StrCat(
      ":white_check_mark: Test session ", c.Code(c.Field("sessionName")), " completed for ",
      c.Bold(project), " v", c.Field("appVersion"), " — ", c.Field("captureCount"), " captures, ",
      c.Number(d, "averageFps", 1), " avg FPS, ", c.Number(d, "avgFrameTime", 2),
      "ms avg frame, peak ", c.Number(d, "peakMonoMemoryMb", 0), "MB mono. ",
      c.Link(Chat::Raw(d, "url", ""), "Open in dashboard"));
  auto captures = d.find("captures");
  if (captures != d.end() && captures->is_array()) {
    int listed = 0;
    for (const Json& cap : *captures) {
      if (listed == kListedCaptures) break;
      absl::StrAppend(&text, " • ", c.Code(c.Escape(Chat::Raw(cap, "eventName", "?"))), " · ",
                      c.Escape(Chat::Raw(cap, "eventUniqueId", "?")), " — ",
                      c.Number(cap, "averageFps", 1), " FPS");
      ++listed;
    }
    int total = static_cast<int>(captures->size());
    if (total > listed) absl::StrAppend(&text, " …and ", total - listed, " more");
  }
  return text;
}

}  // namespace

std::string RenderNativeBody(const EventEnvelope& e) {
  // Built by hand so "data" goes out byte for byte as it was published.
  return absl::StrCat(
      "{\"id\":", Json(e.id).dump(), ",\"type\":", Json(e.type).dump(),
      ",\"created\":", absl::ToUnixSeconds(e.created),
      ",\"timestamp\":", Json(Rfc3339(e.created)).dump(),
      e.occurred ? absl::StrCat(",\"occurred_at\":", Json(Rfc3339Precise(*e.occurred)).dump()) : "",
      ",\"org\":", Json(e.org).dump(),
      ",\"project\":", e.project.empty() ? "null" : Json(e.project).dump(),
      e.sequence > 0 ? absl::StrCat(",\"sequence\":", e.sequence) : "", ",\"data\":", e.data_json,
      "}");
}

std::string RenderChatText(const EventEnvelope& e, ChatDialect dialect) {
  // A payload nested deeper than Publish accepts (stored before the limit)
  // renders as if it had no fields: walking it could overflow the stack.
  Json d = JsonNestingDepth(e.data_json) <= kMaxJsonDepth
               ? Json::parse(e.data_json, nullptr, /*allow_exceptions=*/false)
               : Json::object();
  if (!d.is_object()) d = Json::object();
  Chat c(dialect, d);
  std::string project = c.Escape(Chat::Raw(d, "projectName", e.project.empty() ? "?" : e.project));
  std::string org = c.Escape(Chat::Raw(d, "orgName", e.org));
  const std::string& t = e.type;
  if (t == "test_session.completed") return TestSessionCompleted(c, d, project);
  if (t == "session.created") {
    return absl::StrCat("Profiling Session ", c.Code(c.Field("sessionName")), " · ",
                        c.Field("eventUniqueId"), " is finished for ", c.Bold(project), " v",
                        c.Field("appVersion"), " on device ", c.Code(c.Field("deviceModel")), ". ",
                        c.Link(Chat::Raw(d, "url", ""), "View session"));
  }
  if (t == "anomaly.detected") {
    return absl::StrCat(":rotating_light: Anomaly in ", c.Bold(project), ": ",
                        c.Field("description"), ".");
  }
  if (t == "api_key.created" || t == "api_key.revoked") {
    return absl::StrCat(":key: API key ", t == "api_key.created" ? "created" : "revoked", ": ",
                        c.Code(c.Field("name")), " in ", c.Bold(project));
  }
  if (t == "project.created") {
    return absl::StrCat(":sparkles: Project created: ", c.Bold(c.Field("name", project)), " in ",
                        c.Bold(org));
  }
  if (t == "billing.subscription.updated") {
    return absl::StrCat(":arrow_up: Subscription updated for ", c.Bold(org), ": now on ",
                        c.Bold(c.Field("plan")));
  }
  if (t == "billing.subscription.canceled") {
    return absl::StrCat(":wave: Subscription canceled for ", c.Bold(org), " — ends ",
                        c.Field("periodEnd"));
  }
  if (t == "billing.payment_failed") {
    return absl::StrCat(":credit_card: Payment failed for ", c.Bold(org), " — ", c.Field("amount"),
                        ".");
  }
  std::string where =
      e.project.empty() ? c.Bold(org) : absl::StrCat(c.Bold(project), " (", org, ")");
  return absl::StrCat(":bell: ", c.Code(c.Escape(t)), " in ", where);
}

std::string RenderSlackBody(const EventEnvelope& e) {
  std::string text = RenderChatText(e, ChatDialect::kSlack);
  Json body = {
      {"text", text},
      {"blocks",
       Json::array({{{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", text}}}}})}};
  return body.dump();
}

std::string RenderDiscordBody(const EventEnvelope& e) {
  std::string text = RenderChatText(e, ChatDialect::kDiscord);
  Json body = {{"content", text},
               {"embeds", Json::array({{{"title", e.type},
                                        {"description", text},
                                        {"timestamp", Rfc3339(e.created)},
                                        {"color", 5793266}}})},
               {"allowed_mentions", {{"parse", Json::array()}}}};
  return body.dump();
}

}  // namespace argus
