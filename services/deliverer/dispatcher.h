#ifndef ARGUS_SERVICES_DELIVERER_DISPATCHER_H_
#define ARGUS_SERVICES_DELIVERER_DISPATCHER_H_

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/time/time.h"
#include "common/background_loop.h"
#include "common/clock.h"
#include "common/mutex.h"
#include "common/secret_box.h"
#include "services/deliverer/attempt_outcome.h"
#include "services/deliverer/deliverer_metrics.h"
#include "services/deliverer/delivery_queue.h"
#include "services/deliverer/endpoint_admission.h"
#include "services/deliverer/result_recorder.h"
#include "services/deliverer/webhook_sender.h"

namespace argus {

// One replica's delivery loop. Claims due deliveries in batches (at once on
// Wake, polling as a fallback), lets EndpointAdmission pick what may go on
// the wire, builds each request (BuildWebhookRequest), hands it to the
// sender, decides each attempt (DecideAttempt) and gives the results to a
// ResultRecorder that writes them back in batches. Also releases rate-
// limited endpoints' deliveries as their shared tokens allow, returns
// expired leases of dead replicas to pending and keeps the queue metrics. No
// replica talks to another: everything goes through the DeliveryQueue.
class Dispatcher {
 public:
  struct Options {
    std::string replica_id;
    int claim_batch = 100;
    int max_in_flight = 1024;         // claimed and not yet written back, this replica
    int per_endpoint_in_flight = 16;  // requests on the wire to one endpoint
    absl::Duration lease = absl::Seconds(60);
    absl::Duration poll_interval = absl::Seconds(1);
    absl::Duration request_timeout = absl::Seconds(10);
  };

  struct Deps {
    DeliveryQueue* queue;
    WebhookSender* sender;
    const SecretBox* secrets;
    DelivererMetrics* metrics;
    const Clock* clock = &Clock::Real();
    // The retry delay's jitter, in [-1, 1]; default uniform.
    absl::AnyInvocable<double()> jitter;
  };

  struct Status {
    int in_flight = 0;
    int claimed = 0;
    absl::Duration lag;
    bool draining = false;
    int64_t delivered = 0;
  };

  Dispatcher(Options options, Deps deps);
  ~Dispatcher();  // drains

  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Runs the loop on a thread of its own.
  void Start();
  // Something may be due (a NOTIFY, a reconnect): claim at once, if there
  // is room. Thread-safe.
  void Wake();
  // Stops claiming, lets requests on the wire finish, gives claimed but
  // unsent deliveries back, writes every result. Blocks until done.
  // Idempotent; safe from several threads at once.
  void Drain();
  Status GetStatus();

  // One turn of the loop: handles finished requests, claims, sends, does
  // the periodic work. Returns when the next turn is due, or nullopt once a
  // drain has finished. Start runs it; tests call it instead.
  std::optional<absl::Time> Turn(bool draining);

 private:
  // Deliveries this replica may still take on: max_in_flight less those
  // queued, on the wire, or finished but not yet written.
  int Capacity() const;
  // How long after its claim a delivery may still be sent: its request
  // (request_timeout) and the write of its result (a quarter of the lease)
  // must fit in the lease, or another replica could take it over and send
  // it a second time. Later, it goes back to the queue unsent.
  absl::Duration SendWindow() const;
  void ClaimMore(absl::Time now);
  void Send(ClaimedDelivery delivery);
  void Finish(FinishedRequest f);
  AttemptRecord Decide(FinishedRequest f);
  // Gives back what admission released or found expired, and defers the
  // due backlog of endpoints that just turned slow (DeliveryQueue::Defer).
  void GiveBack(std::vector<std::string> ids);
  void Periodic(absl::Time now);

  const Options options_;
  DeliveryQueue* queue_;
  WebhookSender* sender_;
  const SecretBox* secrets_;
  DelivererMetrics* metrics_;
  const Clock* clock_;
  absl::AnyInvocable<double()> jitter_;

  // Loop-thread state.
  EndpointAdmission admission_;
  absl::Time next_claim_;
  absl::Time next_meter_;
  absl::Time next_expire_;
  absl::Time next_stats_;

  Mutex mu_;
  bool notified_ ABSL_GUARDED_BY(mu_) = true;
  std::deque<FinishedRequest> finished_ ABSL_GUARDED_BY(mu_);
  Status status_ ABSL_GUARDED_BY(mu_);

  ResultRecorder recorder_;
  // Last: its thread runs Turn, which needs everything above.
  BackgroundLoop loop_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_DISPATCHER_H_
