#include "services/deliverer/deliverer_service.h"

#include "common/proto_time.h"
#include "common/status_macros.h"
#include "common/unary_call.h"

namespace argus {

DelivererService::DelivererService(Dispatcher* dispatcher, Authenticator* auth, WorkerPool* workers,
                                   std::string replica_id, std::function<void()> drained)
    : dispatcher_(dispatcher),
      auth_(auth),
      workers_(workers),
      replica_id_(std::move(replica_id)),
      drained_(std::move(drained)) {}

absl::Status DelivererService::Authorize(const grpc::CallbackServerContext& context) {
  // The deliverers serve every org: an org's admin token must not stop them.
  absl::StatusOr<Caller> caller = auth_->Authenticate(context, kScopeOperator);
  return caller.ok() ? absl::OkStatus() : caller.status();
}

void DelivererService::FillStatus(v1::DelivererStatus* out) {
  Dispatcher::Status s = dispatcher_->GetStatus();
  out->set_replica_id(replica_id_);
  out->set_in_flight(s.in_flight);
  out->set_claimed(s.claimed);
  SetDuration(s.lag, out->mutable_lag());
  out->set_draining(s.draining);
  out->set_delivered(s.delivered);
}

grpc::ServerUnaryReactor* DelivererService::GetStatus(grpc::CallbackServerContext* context,
                                                      const v1::GetStatusRequest* request,
                                                      v1::DelivererStatus* response) {
  return RunAuthorizedOnWorker(context, *request, *workers_, *auth_, kScopeOperator,
                               [=, this]() -> absl::Status {
                                 ARGUS_RETURN_IF_ERROR(Authorize(*context));
                                 FillStatus(response);
                                 return absl::OkStatus();
                               });
}

grpc::ServerUnaryReactor* DelivererService::Drain(grpc::CallbackServerContext* context,
                                                  const v1::DrainRequest* request,
                                                  v1::DrainResponse* response) {
  return RunAuthorizedOnWorker(context, *request, *workers_, *auth_, kScopeOperator,
                               [=, this]() -> absl::Status {
                                 ARGUS_RETURN_IF_ERROR(Authorize(*context));
                                 dispatcher_->Drain();
                                 drained_();
                                 FillStatus(response->mutable_status());
                                 return absl::OkStatus();
                               });
}

}  // namespace argus
