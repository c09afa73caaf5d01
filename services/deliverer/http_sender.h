#ifndef ARGUS_SERVICES_DELIVERER_HTTP_SENDER_H_
#define ARGUS_SERVICES_DELIVERER_HTTP_SENDER_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/mutex.h"
#include "common/target_url.h"
#include "services/deliverer/webhook_sender.h"

namespace argus {

// POSTs with libcurl's multi interface on a thread of its own: many
// transfers at once, connections reused, TLS verified (system CAs plus
// `ca_bundle`), redirects never followed, no proxies. The address actually
// connected to is checked against `policy` at connect time (so DNS answers
// cannot smuggle a private address in); a refusal is error "ssrf_blocked".
class HttpSender final : public WebhookSender {
 public:
  struct Options {
    TargetPolicy policy;
    std::string ca_bundle;  // extra PEM CAs; "" = system CAs only
  };

  // FAILED_PRECONDITION when the CA bundle cannot be read.
  static absl::StatusOr<std::unique_ptr<HttpSender>> Create(Options options);
  ~HttpSender();  // aborts transfers still running (their callbacks get "network")

  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  // Thread-safe. `done` runs on the sender's thread (or, for a URL the
  // policy refuses, at once on the caller's, with error "ssrf_blocked");
  // keep it short.
  void Send(HttpRequest request, std::function<void(HttpResult)> done) override;

  int in_flight() const { return in_flight_.load(); }

  // Internals, public only for libcurl's C callbacks in the .cc.
  struct Shared;
  struct Transfer;

 private:
  explicit HttpSender(std::unique_ptr<Shared> shared);
  void Loop();

  std::unique_ptr<Shared> shared_;
  Mutex mu_;
  std::deque<std::unique_ptr<Transfer>> incoming_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stop_{false};
  std::atomic<int> in_flight_{0};
  std::thread thread_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_HTTP_SENDER_H_
