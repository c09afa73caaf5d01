#ifndef ARGUS_SERVICES_EVENT_INGEST_DEBOUNCER_FORWARDER_H_
#define ARGUS_SERVICES_EVENT_INGEST_DEBOUNCER_FORWARDER_H_

#include <grpcpp/security/credentials.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "argus/webhooks/v1/debouncer.grpc.pb.h"

namespace argus {

// Tells the debouncer about committed session.created events, off the
// Publish path: Observe only queues. Calls that fail are dropped; the
// debouncer counts captures from the committed events anyway, so a lost
// Observe delays a rollup by at most a tick and loses nothing.
class DebouncerForwarder {
 public:
  DebouncerForwarder(const std::string& address,
                     std::shared_ptr<grpc::ChannelCredentials> credentials,
                     std::string internal_token);
  ~DebouncerForwarder();

  void Observe(webhooks::v1::ObserveRequest request);

 private:
  void Loop();

  std::unique_ptr<webhooks::v1::Debouncer::Stub> stub_;
  const std::string internal_token_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<webhooks::v1::ObserveRequest> queue_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_EVENT_INGEST_DEBOUNCER_FORWARDER_H_
