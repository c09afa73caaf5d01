#ifndef ARGUS_COMMON_SERVICE_HOST_H_
#define ARGUS_COMMON_SERVICE_HOST_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/background_loop.h"

namespace prometheus {
class Exposer;
class Registry;
}  // namespace prometheus

namespace argus {

class GrpcServerMetrics;
class ProcessMetrics;
class HealthService;

struct HostOptions {
  // The binary's name, for logs.
  std::string name;
  // "host:port"; port 0 picks a free port (see grpc_port()).
  std::string grpc_listen;
  // "host:port" for /metrics; empty serves no metrics endpoint (tests).
  std::string metrics_listen;
  // The largest request message accepted (bytes): bounds what one call,
  // authenticated or not, can make the server hold.
  int max_receive_message_bytes = 4 * 1024 * 1024;
  // What the gRPC server may use for all calls together: buffers of
  // incoming data (a ResourceQuota) and concurrent calls per connection.
  int64_t memory_quota_bytes = 256 * 1024 * 1024;
  int max_concurrent_streams = 100;
  // TLS or not (CommonConfig::credentials); null serves plaintext.
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // "plaintext", "tls" or "mtls", for the log.
  std::string transport = "plaintext";
};

// Something a service needs in order to do its job (the database, not being
// drained): OK when it can, else why not.
using ReadinessCheck = std::function<absl::Status()>;

// What every Argus server has: gRPC on grpc_listen with the given services,
// grpc.health.v1.Health (from the generated proto, so reflection shows it),
// server reflection, per-RPC metrics, /metrics for Prometheus, and a graceful
// shutdown. Services must outlive the host.
class ServiceHost {
 public:
  explicit ServiceHost(HostOptions options);
  ~ServiceHost();

  ServiceHost(const ServiceHost&) = delete;
  ServiceHost& operator=(const ServiceHost&) = delete;

  // Registry for the service's own metrics; scraped with the RPC metrics,
  // argus_build_info and the process_* metrics.
  prometheus::Registry& metrics();

  struct Hosted {
    // Fully qualified name, e.g. EndpointRegistry::service_full_name();
    // health reports it SERVING.
    std::string name;
    grpc::Service* service;
  };

  // Health answers NOT_SERVING while any check fails; checked every second
  // (and at once after RecheckHealth). Call before Start.
  void AddReadinessCheck(ReadinessCheck check);
  // Runs the checks now rather than at the next tick (e.g. after a drain).
  void RecheckHealth();

  // UNAVAILABLE when a port cannot be bound (or another process holds it).
  absl::Status Start(const std::vector<Hosted>& services);

  int grpc_port() const { return grpc_port_; }
  // 0 when no metrics endpoint was asked for.
  int metrics_port() const;

  // Health turns NOT_SERVING, new calls are refused, calls in flight get
  // `grace` to finish. Idempotent.
  void Shutdown(absl::Duration grace = absl::Seconds(10));

 private:
  // Runs the readiness checks and sets the health to match (the prober's).
  void Probe();

  HostOptions options_;
  std::vector<ReadinessCheck> checks_;
  bool was_serving_ = true;  // the prober's
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<GrpcServerMetrics> rpc_metrics_;
  std::shared_ptr<ProcessMetrics> process_metrics_;
  std::unique_ptr<HealthService> health_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::unique_ptr<grpc::Server> server_;
  int grpc_port_ = 0;
  bool stopped_ = false;
  BackgroundLoop prober_;  // last: it uses the members above
};

// Call first thing in main, before any thread starts: SIGTERM and SIGINT are
// then delivered only to WaitForTerminationSignal.
void BlockTerminationSignals();

// Blocks until SIGTERM or SIGINT; returns the signal's name.
std::string WaitForTerminationSignal();

// Turns off absl::Mutex's global deadlock graph. Debian's abseil is built
// without NDEBUG, so every absl::Mutex (gRPC's locks are absl::Mutex) updates
// that graph, under one global lock, on each lock and each destruction:
// a nested lock plus a short-lived mutex cost 296 ns instead of 68 ns here.
// Our own locks (common/mutex.h) are checked by -Wthread-safety and TSan.
void DisableAbslDeadlockDetection();

// The main() of every service: turns off absl's deadlock graph, blocks SIGTERM/SIGINT, names the
// log lines `name`, parses flags (with ARGUS_* environment fallbacks), runs `run`, and turns its
// Status into the exit code, logging why it failed.
int ServiceMain(int argc, char** argv, const char* name, const char* usage,
                const std::function<absl::Status()>& run);

// Serves until SIGTERM or SIGINT, then runs `drain` (if any) and shuts the
// host down gracefully.
void ServeUntilTerminated(ServiceHost& host, const std::function<void()>& drain = {});

}  // namespace argus

#endif  // ARGUS_COMMON_SERVICE_HOST_H_
