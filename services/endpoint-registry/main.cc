// endpoint-registry: the admin API (argus.webhooks.v1.EndpointRegistry).
#include <cstdlib>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "common/auth.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/pg_pool.h"
#include "common/secret_box.h"
#include "common/service_host.h"
#include "common/target_url.h"
#include "common/token_store.h"
#include "common/worker_pool.h"
#include "services/endpoint-registry/delivery_log_store.h"
#include "services/endpoint-registry/endpoint_registry_service.h"
#include "services/endpoint-registry/endpoint_store.h"

namespace argus {
namespace {

absl::Status RunServer() {
  absl::StatusOr<CommonConfig> config = LoadCommonConfig("127.0.0.1:50051", "127.0.0.1:9101");
  if (!config.ok()) return config.status();
  absl::StatusOr<SecretBox> secrets = SecretBox::FromBase64Key(absl::GetFlag(FLAGS_secret_key));
  if (!secrets.ok()) return secrets.status();
  absl::StatusOr<TargetPolicy> policy = TargetPolicyFromFlags();
  if (!policy.ok()) return policy.status();
  const char* internal_token = std::getenv("ARGUS_INTERNAL_TOKEN");

  PgPool pool({.url = config->database_url, .size = config->db_pool_size});
  TokenStore tokens(&pool);
  Authenticator auth(&tokens, internal_token ? internal_token : "");
  EndpointStore store(&pool);
  DeliveryLogStore deliveries(&pool);
  WorkerPool workers(config->db_pool_size, /*max_queue=*/1024);
  EndpointRegistryService service(&store, &deliveries, &auth, &*secrets, *policy, &workers);

  ServiceHost host({.name = "endpoint-registry",
                    .grpc_listen = config->grpc_listen,
                    .metrics_listen = config->metrics_listen});
  if (absl::Status s = host.Start({{v1::EndpointRegistry::service_full_name(), &service}});
      !s.ok()) {
    return s;
  }
  ServeUntilTerminated(host);
  return absl::OkStatus();
}

}  // namespace
}  // namespace argus

int main(int argc, char** argv) {
  return argus::ServiceMain(argc, argv, "endpoint-registry",
                            "endpoint-registry: the Argus Webhooks admin API. "
                            "See README.md for flags and environment.",
                            argus::RunServer);
}
