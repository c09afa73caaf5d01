// debouncer: rolls a playtest's captures into one test_session.completed.
//
// Threads:
//   main             parses flags, starts everything, waits for SIGTERM/SIGINT, drains
//   gRPC callbacks   gRPC's own threads: check the token, hand the call to a worker
//   workers (db_pool_size)  database work of the RPCs (WorkerPool)
//   prober           readiness checks once a second and on demand (BackgroundLoop)
//   metrics (8)      /metrics (civetweb)
//   roller           counts captures, completes quiet sessions (BackgroundLoop)
//   listener         LISTEN argus_captures: wakes the roller (PgListener)
// Shared state is guarded by argus::Mutex (checked by clang's -Wthread-safety).

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "common/auth.h"
#include "common/channels.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/pg_listener.h"
#include "common/pg_pool.h"
#include "common/service_host.h"
#include "common/token_store.h"
#include "common/worker_pool.h"
#include "services/debouncer/debouncer_metrics.h"
#include "services/debouncer/debouncer_service.h"
#include "services/debouncer/ingest_client.h"
#include "services/debouncer/session_roller.h"
#include "services/debouncer/session_store.h"

ABSL_FLAG(std::string, ingest_addr, "127.0.0.1:50052", "event-ingest, for publishing rollups");
ABSL_FLAG(absl::Duration, quiet_window, absl::Minutes(5),
          "a session completes after this long without a new capture");
ABSL_FLAG(std::string, dashboard_base_url, "https://argus.example.com",
          "base of the dashboard links in rollups");

namespace argus {
namespace {

absl::Status RunServer() {
  absl::StatusOr<CommonConfig> config = LoadCommonConfig("127.0.0.1:50053", "127.0.0.1:9103");
  if (!config.ok()) return config.status();
  absl::Duration quiet_window = absl::GetFlag(FLAGS_quiet_window);
  if (quiet_window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--quiet_window must be positive, e.g. 5m");
  }
  const std::string& internal_token = config->internal_token;
  if (internal_token.empty()) {
    return absl::InvalidArgumentError(
        "ARGUS_INTERNAL_TOKEN is required: the debouncer publishes through event-ingest");
  }

  PgPool pool({.url = config->database_url, .size = config->db_pool_size});
  TokenStore tokens(&pool);
  Authenticator auth(&tokens, internal_token);
  SessionStore store(&pool);
  IngestClient ingest(absl::GetFlag(FLAGS_ingest_addr), config->credentials.client, internal_token);
  WorkerPool workers(config->db_pool_size, /*max_queue=*/1024);
  ServiceHost host({.name = "debouncer",
                    .grpc_listen = config->grpc_listen,
                    .metrics_listen = config->metrics_listen,
                    .credentials = config->credentials.server,
                    .transport = config->credentials.server_mode});
  DebouncerMetrics metrics(host.metrics());
  SessionRoller roller(
      {.quiet_window = quiet_window, .dashboard_base_url = absl::GetFlag(FLAGS_dashboard_base_url)},
      &store, &ingest, &metrics);
  DatabaseProbe database(config->database_url);
  host.AddReadinessCheck([&] { return database.Check(); });
  DebouncerService service(&store, &roller, &auth, &workers, quiet_window);
  if (absl::Status s = host.Start({{v1::Debouncer::service_full_name(), &service}}); !s.ok()) {
    return s;
  }
  roller.Start();
  // event-ingest notifies after a commit that stored captures; on a
  // (re)connect, count at once: notifications meanwhile went unheard.
  PgListener captures(
      config->database_url, kCapturesChannel, [&](const std::string&) { roller.Wake(); },
      [&] { roller.Wake(); });
  ServeUntilTerminated(host);
  return absl::OkStatus();
}

}  // namespace
}  // namespace argus

int main(int argc, char** argv) {
  return argus::ServiceMain(argc, argv, "debouncer",
                            "test-session rollups for Argus Webhooks. "
                            "See README.md for flags and environment.",
                            argus::RunServer);
}
