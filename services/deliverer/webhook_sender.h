#ifndef ARGUS_SERVICES_DELIVERER_WEBHOOK_SENDER_H_
#define ARGUS_SERVICES_DELIVERER_WEBHOOK_SENDER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/delivery_vocabulary.h"
#include "services/deliverer/attempt_record.h"

namespace argus {

struct HttpRequest {
  std::string url;
  std::vector<std::string> headers;  // "name: value"
  std::string body;
  absl::Duration timeout = absl::Seconds(10);
};

struct HttpResult {
  int status_code = 0;                       // 0 when no answer arrived
  AttemptError error = AttemptError::kNone;  // timeout, dns, connect, tls, ssrf_blocked, network
  std::string body;  // first kMaxResponseBodyBytes of the answer, as valid UTF-8
  std::optional<std::string> retry_after;
  absl::Time started;
  absl::Duration duration;
};

// Where the dispatcher hands requests: HttpSender on the wire, fakes in
// tests. `done` runs exactly once per request, on any thread; keep it short.
class WebhookSender {
 public:
  virtual ~WebhookSender() = default;
  virtual void Send(HttpRequest request, std::function<void(HttpResult)> done) = 0;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_WEBHOOK_SENDER_H_
