#include "services/endpoint-registry/registry_harness.h"

#include "absl/strings/escaping.h"

namespace argus::testing {

RegistryHarness::RegistryHarness(const std::string& database_url, Options options)
    : base_(database_url, options.serve_metrics),
      store_(&base_.pool()),
      deliveries_(&base_.pool()),
      box_(*SecretBox::FromBase64Key(absl::Base64Escape(std::string(32, 's')))),
      service_(&store_, &deliveries_, &base_.auth(), &box_, std::move(options.policy),
               &base_.workers()) {
  base_.Start({{v1::EndpointRegistry::service_full_name(), &service_}});
  stub_ = v1::EndpointRegistry::NewStub(base_.channel());
}

}  // namespace argus::testing
