#include "common/service_host.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <signal.h>

#include "absl/strings/str_cat.h"
#include "common/flags.h"
#include "common/grpc_metrics.h"
#include "common/health_service.h"
#include "common/log.h"

namespace argus {

ServiceHost::ServiceHost(HostOptions options)
    : options_(std::move(options)),
      registry_(std::make_shared<prometheus::Registry>()),
      rpc_metrics_(std::make_unique<GrpcServerMetrics>(*registry_)) {}

ServiceHost::~ServiceHost() { Shutdown(absl::ZeroDuration()); }

prometheus::Registry& ServiceHost::metrics() { return *registry_; }

int ServiceHost::metrics_port() const {
  if (exposer_ == nullptr) return 0;
  std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

absl::Status ServiceHost::Start(const std::vector<Hosted>& services) {
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.grpc_listen, grpc::InsecureServerCredentials(),
                           &grpc_port_);
  std::vector<std::string> names;
  for (const Hosted& h : services) {
    names.push_back(h.name);
    builder.RegisterService(h.service);
  }
  health_ = std::make_unique<HealthService>(std::move(names));
  builder.RegisterService(health_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(rpc_metrics_->MakeInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || grpc_port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for gRPC on ", options_.grpc_listen));
  }
  if (!options_.metrics_listen.empty()) {
    try {
      exposer_ = std::make_unique<prometheus::Exposer>(options_.metrics_listen);
      exposer_->RegisterCollectable(registry_);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve metrics on ", options_.metrics_listen, ": ", e.what()));
    }
  }
  LogInfo("serving", {{"grpc_port", absl::StrCat(grpc_port_)},
                      {"metrics_port", absl::StrCat(metrics_port())}});
  return absl::OkStatus();
}

void ServiceHost::Shutdown(absl::Duration grace) {
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  health_->Shutdown();
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  server_->Wait();
  exposer_.reset();
}

void BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::string WaitForTerminationSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig == SIGTERM ? "SIGTERM" : "SIGINT";
}

int ServiceMain(int argc, char** argv, const char* name, const char* usage,
                const std::function<absl::Status()>& run) {
  BlockTerminationSignals();
  SetLogService(name);
  ParseFlagsWithEnv(argc, argv, usage);
  absl::Status status = run();
  if (!status.ok()) {
    LogError("exiting", {{"error", std::string(status.message())}});
    return 1;
  }
  return 0;
}

void ServeUntilTerminated(ServiceHost& host, const std::function<void()>& drain) {
  std::string signal = WaitForTerminationSignal();
  LogInfo("shutting down", {{"signal", signal}});
  if (drain) drain();
  host.Shutdown();
}

}  // namespace argus
