#ifndef ARGUS_TESTS_SUPPORT_SERVICE_HARNESS_H_
#define ARGUS_TESTS_SUPPORT_SERVICE_HARNESS_H_

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/auth.h"
#include "common/pg_pool.h"
#include "common/service_host.h"
#include "common/token_store.h"
#include "common/worker_pool.h"

namespace argus::testing {

// What every in-process service under test needs: a pool on a real
// PostgreSQL, token auth, workers, and a real gRPC server on 127.0.0.1:0
// (with health, reflection and, when asked, /metrics) plus a channel to it.
class ServiceHarness {
 public:
  ServiceHarness(const std::string& database_url, bool serve_metrics,
                 const std::string& internal_token = "");
  ~ServiceHarness();

  // Starts serving; aborts the test binary if the server cannot start.
  void Start(const std::vector<ServiceHost::Hosted>& services);

  PgPool& pool() { return pool_; }
  Authenticator& auth() { return auth_; }
  WorkerPool& workers() { return workers_; }
  ServiceHost& host() { return host_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }

  // A new token of `org` (created if needed) with `scope`.
  std::string MintToken(const std::string& org, const std::string& scope);

  // A client context with "authorization: Bearer <token>" (none when empty)
  // and a 10 s deadline.
  static std::unique_ptr<grpc::ClientContext> Context(const std::string& token);

 private:
  PgPool pool_;
  TokenStore tokens_;
  Authenticator auth_;
  WorkerPool workers_;
  ServiceHost host_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Polls grpc.health.v1.Health/Check at `address` until it answers SERVING
// or `timeout` passes. True when it did. Plaintext unless `credentials`.
bool WaitUntilServing(const std::string& address, absl::Duration timeout,
                      std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

}  // namespace argus::testing

#endif  // ARGUS_TESTS_SUPPORT_SERVICE_HARNESS_H_
