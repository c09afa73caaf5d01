#include "tests/support/service_harness.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace argus::testing {

ServiceHarness::ServiceHarness(const std::string& database_url, bool serve_metrics,
                               const std::string& internal_token)
    : pool_({.url = database_url, .size = 4, .acquire_timeout = absl::Seconds(5)}),
      tokens_(&pool_),
      auth_(&tokens_, internal_token),
      workers_(4, 1024),
      // Metrics are off unless asked for: stopping the metrics server costs
      // ~2 s (civetweb polls its listener every 2 s).
      host_({.name = "test",
             .grpc_listen = "127.0.0.1:0",
             .metrics_listen = serve_metrics ? "127.0.0.1:0" : ""}) {}

ServiceHarness::~ServiceHarness() { host_.Shutdown(absl::Seconds(1)); }

void ServiceHarness::Start(const std::vector<ServiceHost::Hosted>& services) {
  absl::Status started = host_.Start(services);
  if (!started.ok()) {
    std::fprintf(stderr, "service did not start: %s\n", std::string(started.message()).c_str());
    std::abort();
  }
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host_.grpc_port()),
                                 grpc::InsecureChannelCredentials());
}

std::string ServiceHarness::MintToken(const std::string& org, const std::string& scope) {
  absl::StatusOr<Org> o = tokens_.EnsureOrg(org);
  std::string token = GenerateApiToken();
  if (!o.ok() || !tokens_.InsertToken(*o, HashApiToken(token), {scope}, "test").ok()) {
    std::fprintf(stderr, "cannot mint a token for %s\n", org.c_str());
    std::abort();
  }
  return token;
}

std::unique_ptr<grpc::ClientContext> ServiceHarness::Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

bool WaitUntilServing(const std::string& address, absl::Duration timeout,
                      std::shared_ptr<grpc::ChannelCredentials> credentials) {
  if (credentials == nullptr) credentials = grpc::InsecureChannelCredentials();
  absl::Time deadline = absl::Now() + timeout;
  // A fresh channel per try with its own subchannel: a channel that met a
  // refused connection waits out gRPC's reconnect backoff (seconds) before
  // it tries again, far longer than a process takes to start.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  while (absl::Now() < deadline) {
    auto channel = grpc::CreateCustomChannel(address, credentials, args);
    auto health = grpc::health::v1::Health::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    grpc::health::v1::HealthCheckResponse response;
    if (health->Check(&context, {}, &response).ok() &&
        response.status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return true;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

}  // namespace argus::testing
