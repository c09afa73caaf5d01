#include "services/argusctl/webhook_check.h"

#include <cstdlib>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/crypto.h"
#include "common/signing.h"

namespace argus {
namespace {

// True when one of `candidates` equals `expected` (in constant time).
bool AnyEquals(const std::vector<std::string>& candidates, const std::string& expected) {
  bool found = false;
  for (const std::string& c : candidates) found |= ConstantTimeEquals(c, expected);
  return found;
}

SchemeCheck Fail(const char* header, std::string why) { return {header, false, std::move(why)}; }

absl::string_view Header(const std::map<std::string, std::string>& headers, const char* name) {
  auto it = headers.find(name);
  return it == headers.end() ? absl::string_view() : absl::string_view(it->second);
}

// The timestamp `t` (unix seconds) when it lies within `tolerance` of `now`.
std::optional<int64_t> Fresh(absl::string_view t, int64_t now, int64_t tolerance) {
  int64_t at = 0;
  if (!absl::SimpleAtoi(t, &at) || std::llabs(now - at) > tolerance) return std::nullopt;
  return at;
}

// argus-signature: t=<unix>,v1=<hex>[,v1=<hex>]; HMAC over "<t>.<body>", key = the secret string.
SchemeCheck ArgusSignature(const std::map<std::string, std::string>& headers,
                           const std::string& body, const std::string& secret, int64_t now,
                           int64_t tolerance) {
  const char* kName = "argus-signature";
  absl::string_view value = Header(headers, kName);
  if (value.empty()) return Fail(kName, "missing");
  std::string t;
  std::vector<std::string> v1;
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    if (absl::ConsumePrefix(&part, "t=")) t = std::string(part);
    if (absl::ConsumePrefix(&part, "v1=")) v1.emplace_back(part);
  }
  if (!Fresh(t, now, tolerance)) return Fail(kName, "timestamp missing or stale");
  if (!AnyEquals(v1, HexEncode(HmacSha256(secret, absl::StrCat(t, ".", body))))) {
    return Fail(kName, "no matching v1 signature");
  }
  return {kName, true, ""};
}

// Standard Webhooks v1 (the signer's own StandardWebhookSignature):
// "v1,<base64>" entries, space-separated.
SchemeCheck StandardWebhooks(const std::map<std::string, std::string>& headers,
                             const std::string& body, const std::string& secret, int64_t now,
                             int64_t tolerance) {
  const char* kName = "webhook-signature";
  absl::string_view value = Header(headers, kName);
  absl::string_view id = Header(headers, "webhook-id");
  absl::string_view t = Header(headers, "webhook-timestamp");
  if (value.empty() || id.empty() || t.empty()) {
    return Fail(kName, "missing (webhook-id, webhook-timestamp and webhook-signature)");
  }
  std::optional<int64_t> at = Fresh(t, now, tolerance);
  if (!at) return Fail(kName, "webhook-timestamp stale");
  absl::StatusOr<std::string> expected = StandardWebhookSignature(secret, id, *at, body);
  if (!expected.ok()) return Fail(kName, "the secret is not whsec_<base64>");
  std::vector<std::string> entries = absl::StrSplit(value, ' ', absl::SkipEmpty());
  if (!AnyEquals(entries, *expected)) return Fail(kName, "no matching v1 signature");
  return {kName, true, ""};
}

// x-argus-signature: sha256=<hex>[,sha256=<hex>]; HMAC over the body, key = the secret string.
SchemeCheck XArgusSignature(const std::map<std::string, std::string>& headers,
                            const std::string& body, const std::string& secret) {
  const char* kName = "x-argus-signature";
  absl::string_view value = Header(headers, kName);
  if (value.empty()) return Fail(kName, "missing");
  std::vector<std::string> sigs;
  for (absl::string_view part : absl::StrSplit(value, ',')) {
    if (absl::ConsumePrefix(&part, "sha256=")) sigs.emplace_back(part);
  }
  if (!AnyEquals(sigs, HexEncode(HmacSha256(secret, body)))) {
    return Fail(kName, "no matching sha256 signature");
  }
  return {kName, true, ""};
}

}  // namespace

std::vector<SchemeCheck> CheckSignatures(const std::map<std::string, std::string>& headers,
                                         const std::string& body, const std::string& secret,
                                         int64_t now_unix, int64_t tolerance_s) {
  if (secret.empty()) return {};
  return {ArgusSignature(headers, body, secret, now_unix, tolerance_s),
          StandardWebhooks(headers, body, secret, now_unix, tolerance_s),
          XArgusSignature(headers, body, secret)};
}

}  // namespace argus
