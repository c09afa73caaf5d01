#ifndef ARGUS_TESTS_SUPPORT_SUITE_H_
#define ARGUS_TESTS_SUPPORT_SUITE_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "argus/webhooks/v1/debouncer.grpc.pb.h"
#include "argus/webhooks/v1/deliverer.grpc.pb.h"
#include "argus/webhooks/v1/endpoint_registry.grpc.pb.h"
#include "argus/webhooks/v1/event_ingest.grpc.pb.h"
#include "tests/support/process.h"

namespace argus::testing {

namespace v1 = ::argus::webhooks::v1;

// The services as users run them: endpoint-registry, event-ingest and
// deliverers as separate processes of the real binaries on free loopback
// ports, sharing one database; tokens minted with argusctl.
class Suite {
 public:
  struct Options {
    std::vector<std::string> registry_flags;
    std::vector<std::string> ingest_flags;
    // Flags of every deliverer started with StartDeliverer().
    std::vector<std::string> deliverer_flags;
    int deliverers = 1;
    // Flags of every debouncer started with StartDebouncer().
    std::vector<std::string> debouncer_flags;
    int debouncers = 0;
    // Flags of every service (e.g. --tls_cert …) and what the suite's own
    // clients connect with (null: plaintext).
    std::vector<std::string> common_flags;
    std::shared_ptr<grpc::ChannelCredentials> credentials;
  };

  Suite(const std::string& database_url, Options options);
  ~Suite();

  // Starts one more deliverer (with `extra_flags` after the shared ones);
  // returns its index. Aborts the test binary if it does not come up.
  int StartDeliverer(const std::vector<std::string>& extra_flags = {});

  ChildProcess& deliverer(int i) { return *deliverers_.at(i).process; }
  ChildProcess& registry_process() { return *registry_.process; }
  ChildProcess& ingest_process() { return *ingest_.process; }
  // Every running service: its gRPC address and its process.
  std::vector<std::pair<std::string, ChildProcess*>> Services();

  // SIGKILLs event-ingest and starts a new one on the same address.
  void RestartIngest();

  // Starts one more debouncer (the first on a port chosen up front).
  // Returns its index.
  int StartDebouncer(const std::vector<std::string>& extra_flags = {});
  ChildProcess& debouncer(int i) { return *debouncers_.at(i).process; }
  std::unique_ptr<v1::Debouncer::Stub> DebouncerStub(int i);
  std::unique_ptr<v1::Deliverer::Stub> DelivererStub(int i);
  // GET /metrics of deliverer `i`.
  std::string DelivererMetrics(int i);

  v1::EndpointRegistry::Stub& registry() { return *registry_stub_; }
  const std::string& RegistryAddress() const { return registry_.grpc_address; }
  const std::string& IngestAddress() const { return ingest_.grpc_address; }
  v1::EventIngest::Stub& ingest() { return *ingest_stub_; }
  const std::string& admin_token() const { return admin_token_; }
  const std::string& publish_token() const { return publish_token_; }
  // A new token of `org` ("" for an operator token), minted with argusctl.
  std::string MintToken(const std::string& org, const std::string& scope) const;
  // Scope operator (Deliverer.GetStatus, Drain); no org.
  const std::string& operator_token() const { return operator_token_; }
  const std::string& database_url() const { return database_url_; }

  // Prometheus jobs and the metrics ports of their running processes.
  std::vector<std::pair<std::string, int>> MetricsTargets() const;

  // Everything every service process wrote to stderr (its logs) so far.
  std::string AllLogs() const;

  // The environment every service gets.
  std::vector<std::string> Env() const;

 private:
  struct Running {
    std::unique_ptr<ChildProcess> process;
    std::string grpc_address;
    int metrics_port = 0;
  };
  Running Start(const std::string& binary, std::vector<std::string> flags,
                std::string grpc_address = "");
  std::shared_ptr<grpc::Channel> Channel(const std::string& address) const;

  const std::string database_url_;
  const Options options_;
  std::string admin_token_;
  std::string publish_token_;
  std::string operator_token_;
  Running registry_;
  Running ingest_;
  std::vector<Running> deliverers_;
  std::string debouncer_address_;  // the first debouncer's
  std::vector<Running> debouncers_;
  std::unique_ptr<v1::EndpointRegistry::Stub> registry_stub_;
  std::unique_ptr<v1::EventIngest::Stub> ingest_stub_;
};

// The test secret key and internal token every suite uses.
inline constexpr char kTestSecretKey[] = "vPFH8MlGDn0zbitEqCpd17kGHcApiOrJN51vz1Llcuc=";
inline constexpr char kTestInternalToken[] = "test-internal-token-0123456789abcdef";

}  // namespace argus::testing

#endif  // ARGUS_TESTS_SUPPORT_SUITE_H_
