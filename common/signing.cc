#include "common/signing.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace argus {

absl::StatusOr<std::string> StandardWebhookSignature(absl::string_view secret,
                                                     absl::string_view message_id,
                                                     int64_t unix_seconds, absl::string_view body) {
  std::string key;
  if (!absl::StartsWith(secret, "whsec_") || !absl::Base64Unescape(secret.substr(6), &key) ||
      key.empty()) {
    return absl::InvalidArgumentError("signing secret is not whsec_<base64>");
  }
  std::string signed_content = absl::StrCat(message_id, ".", unix_seconds, ".", body);
  return absl::StrCat("v1,", absl::Base64Escape(HmacSha256(key, signed_content)));
}

absl::StatusOr<SignatureHeaders> SignNative(absl::string_view body, absl::string_view message_id,
                                            int64_t unix_seconds,
                                            const std::vector<std::string>& secrets) {
  if (secrets.empty()) return absl::InvalidArgumentError("no signing secret");
  SignatureHeaders h;
  h.webhook_id = std::string(message_id);
  h.webhook_timestamp = absl::StrCat(unix_seconds);
  h.argus_signature = absl::StrCat("t=", unix_seconds);
  std::string timestamped = absl::StrCat(unix_seconds, ".", body);
  for (const std::string& secret : secrets) {
    absl::StatusOr<std::string> standard =
        StandardWebhookSignature(secret, message_id, unix_seconds, body);
    if (!standard.ok()) return standard.status();
    absl::StrAppend(&h.argus_signature, ",v1=", HexEncode(HmacSha256(secret, timestamped)));
    absl::StrAppend(&h.webhook_signature, h.webhook_signature.empty() ? "" : " ", *standard);
    absl::StrAppend(&h.x_argus_signature, h.x_argus_signature.empty() ? "" : ",",
                    "sha256=", HexEncode(HmacSha256(secret, body)));
  }
  return h;
}

}  // namespace argus
