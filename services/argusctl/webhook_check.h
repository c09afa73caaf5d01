#ifndef ARGUS_SERVICES_ARGUSCTL_WEBHOOK_CHECK_H_
#define ARGUS_SERVICES_ARGUSCTL_WEBHOOK_CHECK_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace argus {

// What a receiver can check of one native delivery, scheme by scheme, the
// way each seed's verifier does it (docs/receivers.md).
struct SchemeCheck {
  std::string header;  // argus-signature, webhook-signature, x-argus-signature
  bool ok = false;
  std::string why;  // when not ok: missing, no matching signature, stale timestamp, …
};

// `headers` with lower-case names. Timestamps more than `tolerance_s` from
// `now_unix` fail (replays). An empty `secret` checks nothing.
std::vector<SchemeCheck> CheckSignatures(const std::map<std::string, std::string>& headers,
                                         const std::string& body, const std::string& secret,
                                         int64_t now_unix, int64_t tolerance_s = 300);

}  // namespace argus

#endif  // ARGUS_SERVICES_ARGUSCTL_WEBHOOK_CHECK_H_
