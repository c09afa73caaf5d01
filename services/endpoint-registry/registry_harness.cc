#include "services/endpoint-registry/registry_harness.h"

#include <chrono>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace argus::testing {
namespace {

SecretBox TestSecretBox() {
  return *SecretBox::FromBase64Key(absl::Base64Escape(std::string(32, 's')));
}

}  // namespace

RegistryHarness::RegistryHarness(const std::string& database_url, Options options)
    : pool_({.url = database_url, .size = 4, .acquire_timeout = absl::Seconds(5)}),
      tokens_(&pool_),
      auth_(&tokens_, ""),
      store_(&pool_),
      box_(TestSecretBox()),
      workers_(4, 256),
      service_(&store_, &auth_, &box_, std::move(options.policy), &workers_),
      host_({.name = "endpoint-registry-test",
             .grpc_listen = "127.0.0.1:0",
             .metrics_listen = options.serve_metrics ? "127.0.0.1:0" : ""}) {
  absl::Status started = host_.Start({{v1::EndpointRegistry::service_full_name(), &service_}});
  if (!started.ok()) {
    std::fprintf(stderr, "registry did not start: %s\n", std::string(started.message()).c_str());
    std::abort();
  }
  channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", host_.grpc_port()),
                                 grpc::InsecureChannelCredentials());
  stub_ = v1::EndpointRegistry::NewStub(channel_);
}

RegistryHarness::~RegistryHarness() { host_.Shutdown(absl::Seconds(1)); }

std::string RegistryHarness::MintToken(const std::string& org, const std::string& scope) {
  absl::StatusOr<Org> o = tokens_.EnsureOrg(org);
  if (!o.ok()) std::abort();
  std::string token = GenerateApiToken();
  if (!tokens_.InsertToken(*o, HashApiToken(token), {scope}, "test").ok()) std::abort();
  return token;
}

std::unique_ptr<grpc::ClientContext> RegistryHarness::Context(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) context->AddMetadata("authorization", absl::StrCat("Bearer ", token));
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

}  // namespace argus::testing
