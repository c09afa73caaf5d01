#include "common/service_host.h"

#include <google/protobuf/stubs/logging.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <prometheus/exposer.h>
#include <prometheus/registry.h>
#include <signal.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/crash_log.h"
#include "common/flags.h"
#include "common/grpc_metrics.h"
#include "common/health_service.h"
#include "common/log.h"
#include "common/process_metrics.h"

namespace argus {

ServiceHost::ServiceHost(HostOptions options)
    : options_(std::move(options)),
      registry_(std::make_shared<prometheus::Registry>()),
      rpc_metrics_(std::make_unique<GrpcServerMetrics>(*registry_)),
      process_metrics_(std::make_shared<ProcessMetrics>()) {
  RegisterBuildInfo(*registry_);
}

ServiceHost::~ServiceHost() { Shutdown(absl::ZeroDuration()); }

prometheus::Registry& ServiceHost::metrics() { return *registry_; }

int ServiceHost::metrics_port() const {
  if (exposer_ == nullptr) return 0;
  std::vector<int> ports = exposer_->GetListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

void ServiceHost::AddReadinessCheck(ReadinessCheck check) { checks_.push_back(std::move(check)); }

void ServiceHost::RecheckHealth() { prober_.Wake(); }

void ServiceHost::Probe() {
  std::string why;
  for (const ReadinessCheck& check : checks_) {
    if (absl::Status s = check(); !s.ok()) {
      why = std::string(s.message());
      break;
    }
  }
  bool serving = why.empty();
  health_->SetServing(serving);
  if (serving == was_serving_) return;
  if (serving) {
    LogInfo("health: SERVING again");
  } else {
    LogWarning("health: NOT_SERVING", {{"reason", why}});
  }
  was_serving_ = serving;
}

absl::Status ServiceHost::Start(const std::vector<Hosted>& services) {
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  // One process per port: without this gRPC sets SO_REUSEPORT and a second
  // copy of a service would bind the same port and serve beside the first.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, options_.max_concurrent_streams);
  builder.SetMaxReceiveMessageSize(options_.max_receive_message_bytes);
  grpc::ResourceQuota quota(absl::StrCat(options_.name, "-grpc"));
  quota.Resize(static_cast<size_t>(options_.memory_quota_bytes));
  builder.SetResourceQuota(quota);
  builder.AddListeningPort(
      options_.grpc_listen,
      options_.credentials ? options_.credentials : grpc::InsecureServerCredentials(), &grpc_port_);
  std::vector<std::string> names;
  for (const Hosted& h : services) {
    names.push_back(h.name);
    builder.RegisterService(h.service);
  }
  health_ = std::make_unique<HealthService>(std::move(names));
  builder.RegisterService(health_.get());
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(rpc_metrics_->MakeInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || grpc_port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen for gRPC on ", options_.grpc_listen));
  }
  if (!options_.metrics_listen.empty()) {
    try {
      // Threads for a handful of slow or idle scrapers at once, each of
      // which is dropped after 5 s (civetweb's default waits 30 s per idle
      // connection, and 2 threads: two idle clients stopped every scrape).
      exposer_ = std::make_unique<prometheus::Exposer>(
          std::vector<std::string>{"listening_ports", options_.metrics_listen, "num_threads", "8",
                                   "request_timeout_ms", "5000", "keep_alive_timeout_ms", "5000"});
      exposer_->RegisterCollectable(registry_);
      exposer_->RegisterCollectable(process_metrics_);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve metrics on ", options_.metrics_listen, ": ", e.what()));
    }
  }
  if (!checks_.empty()) {
    prober_.Start([this](bool stopping) -> std::optional<absl::Time> {
      if (stopping) return std::nullopt;
      Probe();
      return absl::Now() + absl::Seconds(1);
    });
  }
  LogInfo("serving", {{"grpc_port", absl::StrCat(grpc_port_)},
                      {"transport", options_.transport},
                      {"metrics_port", absl::StrCat(metrics_port())}});
  return absl::OkStatus();
}

void ServiceHost::Shutdown(absl::Duration grace) {
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  prober_.Stop();
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

namespace {

// protobuf's own log lines, in ours. A request with invalid UTF-8 is answered
// INVALID_ARGUMENT (proto/lenient_requests.h); protobuf's line for each
// such request would let any client, authenticated or not, flood the log.
void ProtobufLog(google::protobuf::LogLevel level, const char* /*file*/, int /*line*/,
                 const std::string& message) {
  if (absl::StrContains(message, "invalid UTF-8")) return;
  Log(level >= google::protobuf::LOGLEVEL_ERROR ? LogLevel::kError : LogLevel::kWarning, "protobuf",
      {{"message", message}});
}

}  // namespace

void DisableAbslDeadlockDetection() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

int ServiceMain(int argc, char** argv, const char* name, const char* usage,
                const std::function<absl::Status()>& run) {
  DisableAbslDeadlockDetection();
  BlockTerminationSignals();
  SetLogService(name);
  InstallCrashLogger(name);
  google::protobuf::SetLogHandler(&ProtobufLog);
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
