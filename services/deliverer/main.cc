// deliverer: claims due deliveries from PostgreSQL and POSTs them. Run as
// many replicas as needed; they coordinate only through the database.
#include <unistd.h>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/auth.h"
#include "common/crypto.h"
#include "common/flags.h"
#include "common/channels.h"
#include "common/log.h"
#include "common/pg_listener.h"
#include "common/pg_pool.h"
#include "common/secret_box.h"
#include "common/service_host.h"
#include "common/token_store.h"
#include "common/worker_pool.h"
#include "services/deliverer/deliverer_metrics.h"
#include "services/deliverer/deliverer_service.h"
#include "services/deliverer/delivery_store.h"
#include "services/deliverer/dispatcher.h"
#include "services/deliverer/http_sender.h"
#include "services/deliverer/partition_keeper.h"

ABSL_FLAG(std::string, replica_id, "", "name of this replica; default host-pid-random");
ABSL_FLAG(std::string, ca_bundle, "", "PEM file of extra CAs trusted for outbound TLS");
ABSL_FLAG(absl::Duration, request_timeout, absl::Seconds(10), "per-attempt HTTP timeout");
ABSL_FLAG(absl::Duration, lease, absl::Seconds(60),
          "how long a claim is held before another replica may take it over");
ABSL_FLAG(absl::Duration, poll_interval, absl::Seconds(1),
          "claim at least this often even without a NOTIFY");
ABSL_FLAG(int, claim_batch, 100, "deliveries claimed per query");
ABSL_FLAG(int, max_in_flight, 1024,
          "deliveries this replica holds at once (queued, sending, or not yet written back)");
ABSL_FLAG(int, per_endpoint_in_flight, 16, "requests on the wire to one endpoint at once");
ABSL_FLAG(absl::Duration, disable_after, absl::Hours(24 * 5),
          "disable an endpoint with no successful delivery for this long...");
ABSL_FLAG(int, disable_min_failures, 10, "...and at least this many failed attempts in a row");
ABSL_FLAG(absl::Duration, retention, absl::Hours(24 * 30),
          "events, deliveries and attempts older than this are dropped by the week "
          "(pending deliveries are kept); at least 24h");

namespace argus {
namespace {

std::string DefaultReplicaId() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "-", getpid(), "-", HexEncode(RandomBytes(2)));
}

absl::Status RunServer() {
  absl::StatusOr<CommonConfig> config = LoadCommonConfig("127.0.0.1:50054", "127.0.0.1:9104");
  if (!config.ok()) return config.status();
  absl::StatusOr<SecretBox> secrets = SecretBox::FromBase64Key(absl::GetFlag(FLAGS_secret_key));
  if (!secrets.ok()) return secrets.status();
  absl::StatusOr<TargetPolicy> policy = TargetPolicyFromFlags();
  if (!policy.ok()) return policy.status();
  Dispatcher::Options options{
      .replica_id = absl::GetFlag(FLAGS_replica_id),
      .claim_batch = absl::GetFlag(FLAGS_claim_batch),
      .max_in_flight = absl::GetFlag(FLAGS_max_in_flight),
      .per_endpoint_in_flight = absl::GetFlag(FLAGS_per_endpoint_in_flight),
      .lease = absl::GetFlag(FLAGS_lease),
      .poll_interval = absl::GetFlag(FLAGS_poll_interval),
      .request_timeout = absl::GetFlag(FLAGS_request_timeout),
  };
  if (options.replica_id.empty()) options.replica_id = DefaultReplicaId();
  if (options.claim_batch < 1 || options.max_in_flight < 1 || options.per_endpoint_in_flight < 1) {
    return absl::InvalidArgumentError(
        "--claim_batch, --max_in_flight and --per_endpoint_in_flight must be at least 1");
  }
  if (options.request_timeout <= absl::ZeroDuration() ||
      options.lease < 2 * options.request_timeout) {
    return absl::InvalidArgumentError(
        "--lease must be at least twice --request_timeout, which must be positive");
  }
  PartitionKeeper::Options retention{.retention = absl::GetFlag(FLAGS_retention)};
  if (retention.retention < absl::Hours(24)) {
    return absl::InvalidArgumentError("--retention must be at least 24h");
  }
  absl::StatusOr<std::unique_ptr<HttpSender>> sender =
      HttpSender::Create({.policy = *policy, .ca_bundle = absl::GetFlag(FLAGS_ca_bundle)});
  if (!sender.ok()) return sender.status();
  PgPool pool({.url = config->database_url,
               .size = config->db_pool_size,
               .on_connect =
                   absl::StrCat(PgPool::kSessionSettings, "; ", DeliveryStore::kSessionSettings)});
  TokenStore tokens(&pool);
  Authenticator auth(&tokens, config->internal_token);
  DeliveryStore store(&pool, {.no_success_for = absl::GetFlag(FLAGS_disable_after),
                              .min_failures = absl::GetFlag(FLAGS_disable_min_failures)});
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
  PartitionKeeper partitions(retention, &pool);
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
