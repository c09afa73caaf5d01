// event-ingest: Publish and PublishBatch (argus.webhooks.v1.EventIngest).
//
// Threads:
//   main             parses flags, starts everything, waits for SIGTERM/SIGINT, drains
//   gRPC callbacks   gRPC's own threads: check the token, hand the call to a worker
//   workers (db_pool_size)  database work of the RPCs (WorkerPool)
//   prober           readiness checks once a second and on demand (BackgroundLoop)
//   metrics (8)      /metrics (civetweb)
//   notifiers (2)    NOTIFY argus_deliveries / argus_captures after commits (PgNotifier)
//   invalidator      LISTEN argus_endpoints: drops cached subscriptions (PgListener)
// Shared state is guarded by argus::Mutex (checked by clang's -Wthread-safety).

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/auth.h"
#include "common/channels.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/pg_notifier.h"
#include "common/pg_pool.h"
#include "common/service_host.h"
#include "common/token_store.h"
#include "common/worker_pool.h"
#include "services/event-ingest/event_ingest_service.h"
#include "services/event-ingest/event_store.h"
#include "services/event-ingest/ingest_metrics.h"
#include "services/event-ingest/subscription_cache.h"

// The debouncer now hears of captures by NOTIFY; the flag is still accepted.
ABSL_RETIRED_FLAG(std::string, debouncer_addr, "", "retired: the debouncer listens for NOTIFY");
ABSL_FLAG(int64_t, max_payload_bytes, argus::kDefaultMaxPayloadBytes,
          "largest accepted event payload (JSON bytes)");

namespace argus {
namespace {

absl::Status RunServer() {
  absl::StatusOr<CommonConfig> config = LoadCommonConfig("127.0.0.1:50052", "127.0.0.1:9102");
  if (!config.ok()) return config.status();
  int64_t max_payload = absl::GetFlag(FLAGS_max_payload_bytes);
  if (max_payload < 2 || max_payload > 16 * 1024 * 1024) {
    return absl::InvalidArgumentError("--max_payload_bytes must be in 2..16777216");
  }
  PgPool pool({.url = config->database_url, .size = config->db_pool_size});
  TokenStore tokens(&pool);
  Authenticator auth(&tokens, config->internal_token);
  SubscriptionCache cache;
  SubscriptionInvalidator invalidator(config->database_url, &cache);
  PgNotifier deliveries(config->database_url, kDeliveriesChannel);
  PgNotifier captures(config->database_url, kCapturesChannel);
  EventStore store(&pool, &cache, &deliveries);
  WorkerPool workers(config->db_pool_size, /*max_queue=*/4096);
  ServiceHost host({.name = "event-ingest",
                    .grpc_listen = config->grpc_listen,
                    .metrics_listen = config->metrics_listen,
                    .max_receive_message_bytes = MaxPublishMessageBytes(max_payload),
                    .credentials = config->credentials.server,
                    .transport = config->credentials.server_mode});
  IngestMetrics metrics(host.metrics());
  EventIngestService service(&store, &auth, &workers, &metrics, static_cast<size_t>(max_payload),
                             &captures);
  DatabaseProbe database(config->database_url);
  host.AddReadinessCheck([&] { return database.Check(); });
  if (absl::Status s = host.Start({{v1::EventIngest::service_full_name(), &service}}); !s.ok()) {
    return s;
  }
  ServeUntilTerminated(host);
  return absl::OkStatus();
}

}  // namespace
}  // namespace argus

int main(int argc, char** argv) {
  return argus::ServiceMain(argc, argv, "event-ingest",
                            "Publish events to Argus Webhooks. "
                            "See README.md for flags and environment.",
                            argus::RunServer);
}
