#ifndef ARGUS_SERVICES_DELIVERER_DISPATCHER_H_
#define ARGUS_SERVICES_DELIVERER_DISPATCHER_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/time/time.h"
#include "common/pg_listener.h"
#include "common/secret_box.h"
#include "services/deliverer/deliverer_metrics.h"
#include "services/deliverer/delivery_store.h"
#include "services/deliverer/http_sender.h"
#include "services/deliverer/result_recorder.h"

namespace argus {

// One replica's delivery loop. Claims due deliveries in batches (woken by
// NOTIFY argus_deliveries, polling as a fallback), sends them through the
// HttpSender with a per-endpoint in-flight cap and rate limit, decides
// success / retry / failure per attempt, and hands results to a
// ResultRecorder that writes them back in batches.
// Also returns expired leases of dead replicas to pending. No replica talks
// to another: everything goes through PostgreSQL.
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

  struct Status {
    int in_flight = 0;
    int claimed = 0;
    absl::Duration lag;
    bool draining = false;
    int64_t delivered = 0;
  };

  Dispatcher(Options options, DeliveryStore* store, HttpSender* sender, const SecretBox* secrets,
             DelivererMetrics* metrics, std::string database_url);
  ~Dispatcher();  // drains

  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  void Start();
  // Stops claiming, lets requests on the wire finish, gives claimed but
  // unsent deliveries back, writes every result. Blocks until done.
  // Idempotent.
  void Drain();
  Status GetStatus();

 private:
  struct Lane {
    std::deque<ClaimedDelivery> waiting;
    int in_flight = 0;
    int limit = 0;  // requests allowed on the wire (see EndpointLimit)
    double tokens = 0;
    absl::Time refilled;
  };
  struct Completion {
    ClaimedDelivery delivery;
    std::map<std::string, std::string> request_headers;
    std::string request_body;  // its start: what the attempt record keeps
    HttpResult result;
  };

  void Loop();
  // A NOTIFY (or a drain): claim now, if there is room.
  void Wake();
  // The recorder wrote a batch: room may have come back for a claim that
  // was due; no claim that was not.
  void Written();
  // Deliveries this replica may still take on: max_in_flight less those
  // queued, on the wire, or finished but not yet written.
  int Capacity() const;
  // An endpoint that timed out or refused the connection gets one request
  // on the wire at a time until it answers again; then its limit doubles
  // back to per_endpoint_in_flight. A hanging endpoint thus holds one slot
  // of this replica, not per_endpoint_in_flight of them.
  int EndpointLimit(const std::string& endpoint_id) const;
  // How long after its claim a delivery may still be sent: its request
  // (request_timeout) and the write of its result (a quarter of the lease)
  // must fit in the lease, or another replica could take it over and send
  // it a second time. Later, it goes back to PostgreSQL unsent.
  absl::Duration SendWindow() const;
  void Completed(const Completion& c);
  // Takes what waits in `lane` beyond its limit out of the lane;
  // ReleaseUnneeded gives it back to PostgreSQL and defers the due backlog
  // of endpoints that just timed out (see DeliveryStore::Defer).
  void ReleaseExcess(Lane& lane);
  void ReleaseUnneeded();
  void ClaimMore(absl::Time now);
  // Sends what lanes allow; returns when the next rate-limited send is due.
  absl::Time DispatchReady(absl::Time now);
  void Send(ClaimedDelivery delivery);
  AttemptRecord Decide(Completion& c);
  void Periodic(absl::Time now);
  void ReleaseWaiting();

  const Options options_;
  DeliveryStore* store_;
  HttpSender* sender_;
  const SecretBox* secrets_;
  DelivererMetrics* metrics_;
  const std::string database_url_;

  // Loop-thread state.
  absl::flat_hash_map<std::string, Lane> lanes_;
  // Endpoints whose limit is below per_endpoint_in_flight; outlives lanes.
  absl::flat_hash_map<std::string, int> reduced_limits_;
  int waiting_ = 0;
  int sending_ = 0;
  std::vector<std::string> unneeded_;
  absl::flat_hash_set<std::string> slow_;  // timed out since the last ReleaseUnneeded
  absl::Time next_claim_;
  absl::Time next_expire_;
  absl::Time next_stats_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ ABSL_GUARDED_BY(mu_) = true;
  bool written_ ABSL_GUARDED_BY(mu_) = false;
  std::deque<Completion> completions_ ABSL_GUARDED_BY(mu_);
  Status status_ ABSL_GUARDED_BY(mu_);

  std::atomic<bool> draining_{false};
  std::thread loop_;
  // NOTIFY argus_deliveries (a publish, a redelivery) wakes the loop.
  std::unique_ptr<PgListener> listener_;
  // Last: its thread calls Wake(), which needs everything above.
  ResultRecorder recorder_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_DISPATCHER_H_
