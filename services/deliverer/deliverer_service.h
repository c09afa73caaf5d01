#ifndef ARGUS_SERVICES_DELIVERER_DELIVERER_SERVICE_H_
#define ARGUS_SERVICES_DELIVERER_DELIVERER_SERVICE_H_

#include <functional>

#include "argus/webhooks/v1/deliverer.grpc.pb.h"
#include "common/auth.h"
#include "common/worker_pool.h"
#include "services/deliverer/dispatcher.h"

namespace argus {

namespace v1 = ::argus::webhooks::v1;

// argus.webhooks.v1.Deliverer: this replica's status, and Drain. Needs an
// `operator` token: the replica serves every org, so no org's token may
// read or stop it.
class DelivererService final : public v1::Deliverer::CallbackService {
 public:
  // `drained` runs after a Drain (the host rechecks health: NOT_SERVING).
  DelivererService(Dispatcher* dispatcher, Authenticator* auth, WorkerPool* workers,
                   std::string replica_id, std::function<void()> drained);

  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* context,
                                      const v1::GetStatusRequest* request,
                                      v1::DelivererStatus* response) override;
  grpc::ServerUnaryReactor* Drain(grpc::CallbackServerContext* context,
                                  const v1::DrainRequest* request,
                                  v1::DrainResponse* response) override;

 private:
  void FillStatus(v1::DelivererStatus* out);
  absl::Status Authorize(const grpc::CallbackServerContext& context);

  Dispatcher* dispatcher_;
  Authenticator* auth_;
  WorkerPool* workers_;
  const std::string replica_id_;
  const std::function<void()> drained_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_DELIVERER_SERVICE_H_
