// deliverer: claims due deliveries from PostgreSQL and POSTs them. Run as
// many replicas as needed; they coordinate only through the database.
//
// Threads:
//   main             parses flags, starts everything, waits for SIGTERM/SIGINT, drains
//   gRPC callbacks   gRPC's own threads: check the token, hand the call to a worker
//   workers (2)      database work of the RPCs (WorkerPool)
//   prober           readiness checks once a second and on demand (BackgroundLoop)
//   metrics (8)      /metrics (civetweb)
//   dispatcher       claims, admits, sends and decides deliveries (BackgroundLoop)
//   recorder         writes attempt results in batches (BackgroundLoop)
//   http sender      every request on the wire (libcurl multi, one thread)
//   listener         LISTEN argus_deliveries: wakes the dispatcher (PgListener)
//   partitions       creates and drops week partitions hourly (BackgroundLoop)
// Shared state is guarded by argus::Mutex (checked by clang's -Wthread-safety).
#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/auth.h"
#include "common/channels.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/pg_listener.h"
#include "common/pg_pool.h"
#include "common/secret_box.h"
#include "common/service_host.h"
#include "common/token_store.h"
#include "common/worker_pool.h"
#include "services/deliverer/deliverer_config.h"
#include "services/deliverer/deliverer_metrics.h"
#include "services/deliverer/deliverer_service.h"
#include "services/deliverer/delivery_store.h"
#include "services/deliverer/dispatcher.h"
#include "services/deliverer/http_sender.h"
#include "services/deliverer/partition_keeper.h"

namespace argus {
namespace {

absl::Status RunServer() {
  absl::StatusOr<CommonConfig> config = LoadCommonConfig("127.0.0.1:50054", "127.0.0.1:9104");
  if (!config.ok()) return config.status();
  absl::StatusOr<SecretBox> secrets = SecretBox::FromBase64Key(absl::GetFlag(FLAGS_secret_key));
  if (!secrets.ok()) return secrets.status();
  absl::StatusOr<TargetPolicy> policy = TargetPolicyFromFlags();
  if (!policy.ok()) return policy.status();
  absl::StatusOr<DelivererConfig> deliverer = LoadDelivererConfig();
  if (!deliverer.ok()) return deliverer.status();
  const Dispatcher::Options& options = deliverer->dispatcher;
  absl::StatusOr<std::unique_ptr<HttpSender>> sender =
      HttpSender::Create({.policy = *policy, .ca_bundle = deliverer->ca_bundle});
  if (!sender.ok()) return sender.status();
  PgPool pool({.url = config->database_url,
               .size = config->db_pool_size,
               .on_connect =
                   absl::StrCat(PgPool::kSessionSettings, "; ", DeliveryStore::kSessionSettings)});
  TokenStore tokens(&pool);
  Authenticator auth(&tokens, config->internal_token);
  DeliveryStore store(&pool, deliverer->auto_disable);
  WorkerPool workers(2, /*max_queue=*/64);
  ServiceHost host({.name = "deliverer",
                    .grpc_listen = config->grpc_listen,
                    .metrics_listen = config->metrics_listen,
                    .credentials = config->credentials.server,
                    .transport = config->credentials.server_mode});
  DelivererMetrics metrics(host.metrics());
  Dispatcher dispatcher(
      options,
      {.queue = &store, .sender = sender->get(), .secrets = &*secrets, .metrics = &metrics});
  DelivererService service(&dispatcher, &auth, &workers, options.replica_id,
                           [&] { host.RecheckHealth(); });
  DatabaseProbe database(config->database_url);
  host.AddReadinessCheck([&] { return database.Check(); });
  host.AddReadinessCheck([&] {
    return dispatcher.GetStatus().draining ? absl::UnavailableError("draining") : absl::OkStatus();
  });
  if (absl::Status s = host.Start({{v1::Deliverer::service_full_name(), &service}}); !s.ok()) {
    return s;
  }
  PartitionKeeper partitions(deliverer->partitions, &pool);
  partitions.Start();
  dispatcher.Start();
  // NOTIFY argus_deliveries (a publish, a redelivery) wakes the dispatcher;
  // so does a (re)connect: anything published meanwhile went unheard.
  PgListener deliveries(
      config->database_url, kDeliveriesChannel, [&](const std::string&) { dispatcher.Wake(); },
      [&] { dispatcher.Wake(); });
  LogInfo("delivering", {{"replica", options.replica_id}});
  ServeUntilTerminated(host, [&] { dispatcher.Drain(); });
  LogInfo("stopped", {{"delivered", absl::StrCat(dispatcher.GetStatus().delivered)}});
  return absl::OkStatus();
}

}  // namespace
}  // namespace argus

int main(int argc, char** argv) {
  return argus::ServiceMain(argc, argv, "deliverer",
                            "sends Argus Webhooks deliveries. "
                            "See README.md for flags and environment.",
                            argus::RunServer);
}
