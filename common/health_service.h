#ifndef ARGUS_COMMON_HEALTH_SERVICE_H_
#define ARGUS_COMMON_HEALTH_SERVICE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "common/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace argus {

// grpc.health.v1.Health from the generated standard proto, so reflection
// clients (grpcurl) can call it without proto files. "" and each registered
// service name are SERVING while the service can do its job (SetServing)
// and until Shutdown; other names answer NOT_FOUND. A change of status ends
// the open watches (OK): a client watches again and gets the new status.
class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  explicit HealthService(std::vector<std::string> services);
  ~HealthService() override;

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;

  // Sends the current status, then keeps the stream open until the client
  // cancels or Shutdown ends it.
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

  // SERVING or NOT_SERVING from now on (until Shutdown); a change ends the
  // open watches.
  void SetServing(bool serving);

  // Everything answers NOT_SERVING from now on; open watches are finished.
  void Shutdown();

  class Watcher;

 private:
  friend class Watcher;
  grpc::health::v1::HealthCheckResponse::ServingStatus StatusOf(const std::string& service)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Forget(Watcher* watcher);
  void FinishWatches() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::vector<std::string> services_;
  // Recursive: a watcher finished during Shutdown may run OnDone (→ Forget)
  // on the same thread; holding it across Shutdown keeps watchers alive.
  RecursiveMutex mu_;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool serving_ ABSL_GUARDED_BY(mu_) = true;
  std::set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace argus

#endif  // ARGUS_COMMON_HEALTH_SERVICE_H_
