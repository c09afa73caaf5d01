#ifndef ARGUS_COMMON_SIGNING_H_
#define ARGUS_COMMON_SIGNING_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace argus {

// The signature headers of a native delivery, over the exact body bytes sent,
// one signature per live secret (more than one during a rotation):
//   argus-signature:   t=<unix>,v1=<hex>[,v1=<hex>]        HMAC-SHA256("<t>.<body>"), key = secret
//   string webhook-id:        <message id> webhook-timestamp: <unix> webhook-signature:
//   v1,<base64>[ v1,<base64>]          Standard Webhooks: HMAC-SHA256("<id>.<t>.<body>"),
//                                                         key = base64-decoded part after "whsec_"
//   x-argus-signature: sha256=<hex>[,sha256=<hex>]         HMAC-SHA256(body), key = secret string
struct SignatureHeaders {
  std::string argus_signature;
  std::string webhook_id;
  std::string webhook_timestamp;
  std::string webhook_signature;
  std::string x_argus_signature;
};

// INVALID_ARGUMENT when a secret is not "whsec_<base64>" or `secrets` is empty.
absl::StatusOr<SignatureHeaders> SignNative(absl::string_view body, absl::string_view message_id,
                                            int64_t unix_seconds,
                                            const std::vector<std::string>& secrets);

// The Standard Webhooks signature alone ("v1,<base64>") for one secret.
absl::StatusOr<std::string> StandardWebhookSignature(absl::string_view secret,
                                                     absl::string_view message_id,
                                                     int64_t unix_seconds, absl::string_view body);

}  // namespace argus

#endif  // ARGUS_COMMON_SIGNING_H_
