#ifndef ARGUS_SERVICES_ENDPOINT_REGISTRY_ENDPOINT_REGISTRY_SERVICE_H_
#define ARGUS_SERVICES_ENDPOINT_REGISTRY_ENDPOINT_REGISTRY_SERVICE_H_

#include "argus/webhooks/v1/endpoint_registry.grpc.pb.h"
#include "common/auth.h"
#include "common/secret_box.h"
#include "common/target_url.h"
#include "common/unary_call.h"
#include "common/worker_pool.h"
#include "services/endpoint-registry/delivery_log_store.h"
#include "services/endpoint-registry/endpoint_store.h"

namespace argus {

namespace v1 = ::argus::webhooks::v1;

// argus.webhooks.v1.EndpointRegistry: the admin API. Every RPC needs an
// `admin` token and sees only that token's org. Database work runs on
// `workers`, never on gRPC's callback threads. Endpoint RPCs are in
// endpoint_registry_service.cc (RotateSecret too), delivery-log ones (and
// SendTestEvent) in delivery_log_rpcs.cc.
class EndpointRegistryService final : public v1::EndpointRegistry::CallbackService {
 public:
  EndpointRegistryService(EndpointStore* store, DeliveryLogStore* deliveries, Authenticator* auth,
                          const SecretBox* secrets, TargetPolicy target_policy,
                          WorkerPool* workers);

  grpc::ServerUnaryReactor* CreateEndpoint(grpc::CallbackServerContext* context,
                                           const v1::CreateEndpointRequest* request,
                                           v1::CreateEndpointResponse* response) override;
  grpc::ServerUnaryReactor* GetEndpoint(grpc::CallbackServerContext* context,
                                        const v1::GetEndpointRequest* request,
                                        v1::Endpoint* response) override;
  grpc::ServerUnaryReactor* ListEndpoints(grpc::CallbackServerContext* context,
                                          const v1::ListEndpointsRequest* request,
                                          v1::ListEndpointsResponse* response) override;
  grpc::ServerUnaryReactor* UpdateEndpoint(grpc::CallbackServerContext* context,
                                           const v1::UpdateEndpointRequest* request,
                                           v1::Endpoint* response) override;
  grpc::ServerUnaryReactor* PauseEndpoint(grpc::CallbackServerContext* context,
                                          const v1::PauseEndpointRequest* request,
                                          v1::Endpoint* response) override;
  grpc::ServerUnaryReactor* ResumeEndpoint(grpc::CallbackServerContext* context,
                                           const v1::ResumeEndpointRequest* request,
                                           v1::Endpoint* response) override;
  grpc::ServerUnaryReactor* DeleteEndpoint(grpc::CallbackServerContext* context,
                                           const v1::DeleteEndpointRequest* request,
                                           v1::DeleteEndpointResponse* response) override;
  grpc::ServerUnaryReactor* ListEventTypes(grpc::CallbackServerContext* context,
                                           const v1::ListEventTypesRequest* request,
                                           v1::ListEventTypesResponse* response) override;
  grpc::ServerUnaryReactor* ListDeliveries(grpc::CallbackServerContext* context,
                                           const v1::ListDeliveriesRequest* request,
                                           v1::ListDeliveriesResponse* response) override;
  grpc::ServerUnaryReactor* GetEvent(grpc::CallbackServerContext* context,
                                     const v1::GetEventRequest* request,
                                     v1::Event* response) override;
  grpc::ServerUnaryReactor* GetDelivery(grpc::CallbackServerContext* context,
                                        const v1::GetDeliveryRequest* request,
                                        v1::Delivery* response) override;
  grpc::ServerUnaryReactor* Redeliver(grpc::CallbackServerContext* context,
                                      const v1::RedeliverRequest* request,
                                      v1::RedeliverResponse* response) override;
  grpc::ServerUnaryReactor* RecoverFailed(grpc::CallbackServerContext* context,
                                          const v1::RecoverFailedRequest* request,
                                          v1::RecoverFailedResponse* response) override;
  grpc::ServerUnaryReactor* GetEndpointStats(grpc::CallbackServerContext* context,
                                             const v1::GetEndpointStatsRequest* request,
                                             v1::EndpointStats* response) override;
  grpc::ServerUnaryReactor* RotateSecret(grpc::CallbackServerContext* context,
                                         const v1::RotateSecretRequest* request,
                                         v1::RotateSecretResponse* response) override;
  grpc::ServerUnaryReactor* SendTestEvent(grpc::CallbackServerContext* context,
                                          const v1::SendTestEventRequest* request,
                                          v1::SendTestEventResponse* response) override;

 private:
  absl::Status Create(const Caller& caller, const v1::CreateEndpointRequest& request,
                      v1::CreateEndpointResponse& response);
  absl::Status Update(const Caller& caller, const v1::UpdateEndpointRequest& request,
                      v1::Endpoint& response);
  absl::Status List(const Caller& caller, const v1::ListEndpointsRequest& request,
                    v1::ListEndpointsResponse& response);
  absl::Status SetState(const Caller& caller, const std::string& id, v1::EndpointState state,
                        v1::Endpoint& response);
  // event_types checked against the catalog.
  absl::Status CheckSubscriptions(const std::vector<std::string>& event_types);

  // Authenticates as admin on a worker, then runs `body(caller)`.
  template <typename Body>
  grpc::ServerUnaryReactor* Serve(grpc::CallbackServerContext* context,
                                  const google::protobuf::Message& request, Body body);

  EndpointStore* store_;
  DeliveryLogStore* deliveries_;
  Authenticator* auth_;
  const SecretBox* secrets_;
  const TargetPolicy target_policy_;
  WorkerPool* workers_;
};

// Used by both .cc files of the service.
template <typename Body>
grpc::ServerUnaryReactor* EndpointRegistryService::Serve(grpc::CallbackServerContext* context,
                                                         const google::protobuf::Message& request,
                                                         Body body) {
  return RunAuthorizedOnWorker(
      context, request, *workers_, *auth_, kScopeAdmin, [this, context, body = std::move(body)]() {
        absl::StatusOr<Caller> caller = auth_->Authenticate(*context, kScopeAdmin);
        if (!caller.ok()) return caller.status();
        return body(*caller);
      });
}

}  // namespace argus

#endif  // ARGUS_SERVICES_ENDPOINT_REGISTRY_ENDPOINT_REGISTRY_SERVICE_H_
