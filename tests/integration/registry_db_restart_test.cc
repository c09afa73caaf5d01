// PostgreSQL restarts under a running registry: calls during the outage fail
// with UNAVAILABLE, calls after it succeed, and the registry is never
// restarted.
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "services/endpoint-registry/registry_harness.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/test_database.h"

namespace argus {
namespace {

using testing::PgCluster;
using testing::RegistryHarness;
using testing::TestDatabase;

grpc::Status ListEndpoints(RegistryHarness& registry, const std::string& token,
                           v1::ListEndpointsResponse* out) {
  return registry.stub().ListEndpoints(RegistryHarness::Context(token).get(), {}, out);
}

TEST(RegistryDbRestartTest, UnavailableDuringOutageThenServesAgain) {
  PgCluster cluster;
  TestDatabase db(cluster.admin_url());
  RegistryHarness registry(db.url());
  std::string token = registry.MintToken("acme", kScopeAdmin);

  v1::CreateEndpointRequest create;
  create.set_label("before");
  create.set_url("https://example.com/hook");
  create.add_event_types("user.*");
  v1::CreateEndpointResponse created;
  ASSERT_TRUE(
      registry.stub().CreateEndpoint(RegistryHarness::Context(token).get(), create, &created).ok());

  cluster.Stop();
  v1::ListEndpointsResponse listed;
  for (int i = 0; i < 3; ++i) {
    grpc::Status during = ListEndpoints(registry, token, &listed);
    EXPECT_EQ(during.error_code(), grpc::StatusCode::UNAVAILABLE) << during.error_message();
  }
  v1::CreateEndpointResponse refused;
  EXPECT_EQ(registry.stub()
                .CreateEndpoint(RegistryHarness::Context(token).get(), create, &refused)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);

  cluster.Start();
  // The first call after the restart may still meet a connection that died
  // with the old server; callers retry UNAVAILABLE. Wait for success with a
  // deadline.
  grpc::Status after;
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  do {
    listed.Clear();
    after = ListEndpoints(registry, token, &listed);
    if (after.ok()) break;
    EXPECT_EQ(after.error_code(), grpc::StatusCode::UNAVAILABLE);
    absl::SleepFor(absl::Milliseconds(100));
  } while (absl::Now() < deadline);
  ASSERT_TRUE(after.ok()) << after.error_message();
  ASSERT_EQ(listed.endpoints_size(), 1);
  EXPECT_EQ(listed.endpoints(0).label(), "before");
  create.set_label("after");
  EXPECT_TRUE(
      registry.stub().CreateEndpoint(RegistryHarness::Context(token).get(), create, &created).ok());
}

}  // namespace
}  // namespace argus
