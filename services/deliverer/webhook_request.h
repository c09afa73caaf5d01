#ifndef ARGUS_SERVICES_DELIVERER_WEBHOOK_REQUEST_H_
#define ARGUS_SERVICES_DELIVERER_WEBHOOK_REQUEST_H_

#include <map>
#include <string>

#include "absl/time/time.h"
#include "common/secret_box.h"
#include "services/deliverer/delivery_queue.h"
#include "services/deliverer/webhook_sender.h"

namespace argus {

// The POST for one claimed delivery.
struct WebhookRequest {
  HttpRequest http;
  // The headers as the delivery log keeps them: no signatures, custom
  // header values (often the receiver's credentials) "[redacted]".
  std::map<std::string, std::string> logged_headers;
  // Not empty: it cannot be sent (a key that opens neither its custom
  // headers nor any signing secret); the attempt fails with kSigning.
  std::string error;
};

// Builds the request: the body in the endpoint's format, our headers, the
// endpoint's custom headers (opened with `secrets`; an empty value is sent
// as an empty header), and for native bodies the three signatures over
// every live signing secret, timestamped `now`. Pure: the same input gives
// the same request.
WebhookRequest BuildWebhookRequest(const ClaimedDelivery& d, const SecretBox& secrets,
                                   absl::Time now);

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_WEBHOOK_REQUEST_H_
