#ifndef ARGUS_SERVICES_ENDPOINT_REGISTRY_REGISTRY_HARNESS_H_
#define ARGUS_SERVICES_ENDPOINT_REGISTRY_REGISTRY_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "argus/webhooks/v1/endpoint_registry.grpc.pb.h"
#include "common/auth.h"
#include "common/pg_pool.h"
#include "common/secret_box.h"
#include "common/service_host.h"
#include "common/token_store.h"
#include "common/worker_pool.h"
#include "services/endpoint-registry/endpoint_registry_service.h"
#include "services/endpoint-registry/endpoint_store.h"

namespace argus::testing {

// A real endpoint-registry in-process: real gRPC server on 127.0.0.1:0 with
// health, reflection and /metrics, real PostgreSQL at `database_url`, and a
// client stub over a real channel.
class RegistryHarness {
 public:
  struct Options {
    TargetPolicy policy;
    // Off by default: stopping the metrics server costs ~2 s (civetweb
    // polls its listener every 2 s).
    bool serve_metrics = false;
  };

  explicit RegistryHarness(const std::string& database_url, Options options);
  explicit RegistryHarness(const std::string& database_url)
      : RegistryHarness(database_url, Options{}) {}
  ~RegistryHarness();

  // A new token of `org` (created if needed) with `scope`.
  std::string MintToken(const std::string& org, const std::string& scope);

  v1::EndpointRegistry::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  const SecretBox& secret_box() const { return box_; }
  int metrics_port() const { return host_.metrics_port(); }

  // A client context carrying "authorization: Bearer <token>" (none when
  // empty) and a 10 s deadline.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token);

 private:
  PgPool pool_;
  TokenStore tokens_;
  Authenticator auth_;
  EndpointStore store_;
  SecretBox box_;
  WorkerPool workers_;
  EndpointRegistryService service_;
  ServiceHost host_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::EndpointRegistry::Stub> stub_;
};

}  // namespace argus::testing

#endif  // ARGUS_SERVICES_ENDPOINT_REGISTRY_REGISTRY_HARNESS_H_
