// endpoint-registry: the admin API (argus.webhooks.v1.EndpointRegistry).
//
// Threads:
//   main             parses flags, starts everything, waits for SIGTERM/SIGINT, drains
//   gRPC callbacks   gRPC's own threads: check the token, hand the call to a worker
//   workers (db_pool_size)  database work of the RPCs (WorkerPool)
//   prober           readiness checks once a second and on demand (BackgroundLoop)
//   metrics (8)      /metrics (civetweb)
// Shared state is guarded by argus::Mutex (checked by clang's -Wthread-safety).
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "common/auth.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/pg_pool.h"
#include "common/sealed_headers.h"
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
  PgPool pool({.url = config->database_url, .size = config->db_pool_size});
  TokenStore tokens(&pool);
  Authenticator auth(&tokens, config->internal_token);
  EndpointStore store(&pool);
  absl::StatusOr<int> resealed = store.SealLegacyHeaders(
      [&](const std::string& id, const std::map<std::string, std::string>& headers) {
        return SealHeaders(*secrets, headers, id);
      });
  if (!resealed.ok()) return resealed.status();
  if (*resealed > 0) {
    LogInfo("sealed the custom header values of older endpoints",
            {{"endpoints", absl::StrCat(*resealed)}});
  }
  DeliveryLogStore deliveries(&pool);
  WorkerPool workers(config->db_pool_size, /*max_queue=*/1024);
  EndpointRegistryService service(&store, &deliveries, &auth, &*secrets, *policy, &workers);

  ServiceHost host({.name = "endpoint-registry",
                    .grpc_listen = config->grpc_listen,
                    .metrics_listen = config->metrics_listen,
                    .credentials = config->credentials.server,
                    .transport = config->credentials.server_mode});
  DatabaseProbe database(config->database_url);
  host.AddReadinessCheck([&] { return database.Check(); });
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
                            "the Argus Webhooks admin API. "
                            "See README.md for flags and environment.",
                            argus::RunServer);
}
