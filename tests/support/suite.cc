#include "tests/support/suite.h"

#include <httplib.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "tests/support/service_harness.h"

namespace argus::testing {

Suite::Suite(const std::string& database_url, Options options)
    : database_url_(database_url), options_(std::move(options)) {
  admin_token_ = MintToken("acme", "admin");
  publish_token_ = MintToken("acme", "publish");
  operator_token_ = MintToken("", "operator");
  debouncer_address_ = absl::StrCat("127.0.0.1:", FreeTcpPort());
  registry_ = Start(REGISTRY_BINARY, options_.registry_flags);
  ingest_ = Start(INGEST_BINARY, options_.ingest_flags);
  for (int i = 0; i < options_.deliverers; ++i) StartDeliverer();
  for (int i = 0; i < options_.debouncers; ++i) StartDebouncer();
  registry_stub_ = v1::EndpointRegistry::NewStub(Channel(registry_.grpc_address));
  ingest_stub_ = v1::EventIngest::NewStub(Channel(ingest_.grpc_address));
}

Suite::~Suite() {
  // SIGTERM first: services drain and exit cleanly; the ChildProcess
  // destructors SIGKILL whatever is left.
  for (Running* r : {&registry_, &ingest_}) r->process->Signal(SIGTERM);
  for (Running& d : debouncers_) d.process->Signal(SIGTERM);
  for (Running& d : deliverers_) d.process->Signal(SIGTERM);
  for (Running& d : deliverers_) d.process->Wait(absl::Seconds(20));
}

std::string Suite::MintToken(const std::string& org, const std::string& scope) const {
  std::vector<std::string> argv = {ARGUSCTL_BINARY, "token", "create", "--scope", scope};
  if (!org.empty()) argv.insert(argv.end(), {"--org", org});
  CommandResult r = RunCommand(argv, Env());
  if (r.exit_code != 0) {
    std::fprintf(stderr, "argusctl failed: %s\n", r.err.c_str());
    std::abort();
  }
  return std::string(absl::StripAsciiWhitespace(r.out));
}

std::vector<std::string> Suite::Env() const {
  return {absl::StrCat("ARGUS_DATABASE_URL=", database_url_),
          absl::StrCat("ARGUS_SECRET_KEY=", kTestSecretKey),
          absl::StrCat("ARGUS_INTERNAL_TOKEN=", kTestInternalToken)};
}

Suite::Running Suite::Start(const std::string& binary, std::vector<std::string> flags,
                            std::string grpc_address) {
  Running r;
  r.grpc_address =
      grpc_address.empty() ? absl::StrCat("127.0.0.1:", FreeTcpPort()) : std::move(grpc_address);
  r.metrics_port = FreeTcpPort();
  std::vector<std::string> argv = {binary, "--grpc_listen", r.grpc_address, "--metrics_listen",
                                   absl::StrCat("127.0.0.1:", r.metrics_port)};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.insert(argv.end(), options_.common_flags.begin(), options_.common_flags.end());
  r.process = std::make_unique<ChildProcess>(argv, Env());
  if (!WaitUntilServing(r.grpc_address, absl::Seconds(30), options_.credentials)) {
    std::fprintf(stderr, "%s did not come up:\n%s\n", binary.c_str(), r.process->Stderr().c_str());
    std::abort();
  }
  return r;
}

std::shared_ptr<grpc::Channel> Suite::Channel(const std::string& address) const {
  return grpc::CreateChannel(
      address, options_.credentials ? options_.credentials : grpc::InsecureChannelCredentials());
}

int Suite::StartDeliverer(const std::vector<std::string>& extra_flags) {
  std::vector<std::string> flags = options_.deliverer_flags;
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  deliverers_.push_back(Start(DELIVERER_BINARY, flags));
  return static_cast<int>(deliverers_.size()) - 1;
}

void Suite::RestartIngest() {
  ingest_.process->Signal(SIGKILL);
  ingest_.process->Wait(absl::Seconds(10));
  ingest_ = Start(INGEST_BINARY, options_.ingest_flags, ingest_.grpc_address);
}

int Suite::StartDebouncer(const std::vector<std::string>& extra_flags) {
  std::vector<std::string> flags = {"--ingest_addr", ingest_.grpc_address};
  flags.insert(flags.end(), options_.debouncer_flags.begin(), options_.debouncer_flags.end());
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  debouncers_.push_back(
      Start(DEBOUNCER_BINARY, flags, debouncers_.empty() ? debouncer_address_ : ""));
  return static_cast<int>(debouncers_.size()) - 1;
}

std::unique_ptr<v1::Debouncer::Stub> Suite::DebouncerStub(int i) {
  return v1::Debouncer::NewStub(Channel(debouncers_.at(i).grpc_address));
}

std::unique_ptr<v1::Deliverer::Stub> Suite::DelivererStub(int i) {
  return v1::Deliverer::NewStub(Channel(deliverers_.at(i).grpc_address));
}

std::vector<std::pair<std::string, int>> Suite::MetricsTargets() const {
  std::vector<std::pair<std::string, int>> out = {{"endpoint-registry", registry_.metrics_port},
                                                  {"event-ingest", ingest_.metrics_port}};
  for (const Running& d : deliverers_) out.push_back({"deliverer", d.metrics_port});
  for (const Running& d : debouncers_) out.push_back({"debouncer", d.metrics_port});
  return out;
}

std::vector<std::pair<std::string, ChildProcess*>> Suite::Services() {
  std::vector<std::pair<std::string, ChildProcess*>> out = {
      {registry_.grpc_address, registry_.process.get()},
      {ingest_.grpc_address, ingest_.process.get()}};
  for (Running& d : deliverers_) out.push_back({d.grpc_address, d.process.get()});
  for (Running& d : debouncers_) out.push_back({d.grpc_address, d.process.get()});
  return out;
}

std::string Suite::AllLogs() const {
  std::string logs = registry_.process->Stderr() + ingest_.process->Stderr();
  for (const Running& d : deliverers_) logs += d.process->Stderr();
  for (const Running& d : debouncers_) logs += d.process->Stderr();
  return logs;
}

std::string Suite::DelivererMetrics(int i) {
  httplib::Client client("127.0.0.1", deliverers_.at(i).metrics_port);
  auto res = client.Get("/metrics");
  return res ? res->body : "";
}

}  // namespace argus::testing
