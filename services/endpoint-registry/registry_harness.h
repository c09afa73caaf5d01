#ifndef ARGUS_SERVICES_ENDPOINT_REGISTRY_REGISTRY_HARNESS_H_
#define ARGUS_SERVICES_ENDPOINT_REGISTRY_REGISTRY_HARNESS_H_

#include <memory>
#include <string>

#include "argus/webhooks/v1/endpoint_registry.grpc.pb.h"
#include "common/secret_box.h"
#include "services/endpoint-registry/endpoint_registry_service.h"
#include "services/endpoint-registry/endpoint_store.h"
#include "tests/support/service_harness.h"

namespace argus::testing {

// A real endpoint-registry in-process (see ServiceHarness) with a client stub.
class RegistryHarness {
 public:
  struct Options {
    TargetPolicy policy;
    bool serve_metrics = false;
  };

  RegistryHarness(const std::string& database_url, Options options);
  explicit RegistryHarness(const std::string& database_url)
      : RegistryHarness(database_url, Options{}) {}

  std::string MintToken(const std::string& org, const std::string& scope) {
    return base_.MintToken(org, scope);
  }
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token) {
    return ServiceHarness::Context(token);
  }

  v1::EndpointRegistry::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return base_.channel(); }
  const SecretBox& secret_box() const { return box_; }
  int metrics_port() { return base_.host().metrics_port(); }

 private:
  ServiceHarness base_;
  EndpointStore store_;
  DeliveryLogStore deliveries_;
  SecretBox box_;
  EndpointRegistryService service_;
  std::unique_ptr<v1::EndpointRegistry::Stub> stub_;
};

}  // namespace argus::testing

#endif  // ARGUS_SERVICES_ENDPOINT_REGISTRY_REGISTRY_HARNESS_H_
