#include "services/deliverer/deliverer_config.h"

#include <unistd.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"

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

}  // namespace

absl::StatusOr<DelivererConfig> LoadDelivererConfig() {
  DelivererConfig c;
  c.dispatcher = {
      .replica_id = absl::GetFlag(FLAGS_replica_id),
      .claim_batch = absl::GetFlag(FLAGS_claim_batch),
      .max_in_flight = absl::GetFlag(FLAGS_max_in_flight),
      .per_endpoint_in_flight = absl::GetFlag(FLAGS_per_endpoint_in_flight),
      .lease = absl::GetFlag(FLAGS_lease),
      .poll_interval = absl::GetFlag(FLAGS_poll_interval),
      .request_timeout = absl::GetFlag(FLAGS_request_timeout),
  };
  Dispatcher::Options& d = c.dispatcher;
  if (d.replica_id.empty()) d.replica_id = DefaultReplicaId();
  if (d.claim_batch < 1 || d.max_in_flight < 1 || d.per_endpoint_in_flight < 1) {
    return absl::InvalidArgumentError(
        "--claim_batch, --max_in_flight and --per_endpoint_in_flight must be at least 1");
  }
  if (d.request_timeout <= absl::ZeroDuration() || d.lease < 2 * d.request_timeout) {
    return absl::InvalidArgumentError(
        "--lease must be at least twice --request_timeout, which must be positive");
  }
  c.auto_disable = {.no_success_for = absl::GetFlag(FLAGS_disable_after),
                    .min_failures = absl::GetFlag(FLAGS_disable_min_failures)};
  c.partitions = {.retention = absl::GetFlag(FLAGS_retention)};
  if (c.partitions.retention < absl::Hours(24)) {
    return absl::InvalidArgumentError("--retention must be at least 24h");
  }
  c.ca_bundle = absl::GetFlag(FLAGS_ca_bundle);
  return c;
}

}  // namespace argus
