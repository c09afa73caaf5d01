#include "services/deliverer/webhook_request.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "common/sealed_headers.h"
#include "common/signing.h"
#include "common/webhook_payloads.h"

namespace argus {

WebhookRequest BuildWebhookRequest(const ClaimedDelivery& d, const SecretBox& secrets,
                                   absl::Time now) {
  WebhookRequest out;
  HttpRequest& req = out.http;
  const EndpointConfig& ep = *d.endpoint;
  req.url = ep.url;
  auto add = [&](const std::string& name, const std::string& value, bool log_value) {
    req.headers.push_back(absl::StrCat(name, ": ", value));
    out.logged_headers[name] = log_value ? value : "[redacted]";
  };
  add("content-type", "application/json", true);
  add("user-agent", "Argus-Webhooks/1", true);
  add("argus-event", d.event.type, true);
  add("argus-delivery", d.event.id, true);
  if (d.event.sequence > 0) add("argus-sequence", absl::StrCat(d.event.sequence), true);
  std::map<std::string, std::string> custom = ep.legacy_headers;
  if (!ep.sealed_headers.empty()) {
    absl::StatusOr<std::map<std::string, std::string>> opened =
        OpenHeaders(secrets, ep.sealed_headers, d.endpoint_id);
    if (!opened.ok()) {
      out.error = "cannot open the endpoint's custom headers (check --secret_key)";
      return out;
    }
    custom = *std::move(opened);
  }
  // "name;" is how libcurl sends a header with an empty value ("name:"
  // would remove it).
  for (const auto& [name, value] : custom) {
    if (value.empty()) {
      req.headers.push_back(absl::StrCat(name, ";"));
      out.logged_headers[name] = "";
    } else {
      add(name, value, false);
    }
  }

  switch (ep.format) {
    case Format::kSlack:
      req.body = RenderSlackBody(d.event);
      return out;
    case Format::kDiscord:
      req.body = RenderDiscordBody(d.event);
      return out;
    case Format::kNative:
      break;
  }
  req.body = RenderNativeBody(d.event);
  std::vector<std::string> opened;
  for (const std::string& sealed : ep.LiveSecrets(now)) {
    absl::StatusOr<std::string> secret = secrets.Open(sealed, d.endpoint_id);
    if (secret.ok()) opened.push_back(*std::move(secret));
  }
  absl::StatusOr<SignatureHeaders> sig =
      SignNative(req.body, d.event.id, absl::ToUnixSeconds(now), opened);
  if (!sig.ok()) {
    out.error = "no usable signing secret (check --secret_key)";
    return out;
  }
  req.headers.push_back("argus-signature: " + sig->argus_signature);
  req.headers.push_back("x-argus-signature: " + sig->x_argus_signature);
  req.headers.push_back("webhook-signature: " + sig->webhook_signature);
  add("webhook-id", sig->webhook_id, true);
  add("webhook-timestamp", sig->webhook_timestamp, true);
  return out;
}

}  // namespace argus
