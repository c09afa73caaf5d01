// Retention by dropping weeks (migration 0005, the deliverer's partition
// keeper): a week past the retention leaves as whole partitions, while a
// delivery still pending in it (a paused endpoint's backlog) is carried
// forward and delivered once the endpoint is resumed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/support/e2e_fixture.h"
#include "tests/support/process.h"
#include "tests/support/service_harness.h"

namespace argus {
namespace {

namespace v1 = ::argus::webhooks::v1;

using testing::E2eTest;
using testing::ServiceHarness;

using RetentionE2eTest = E2eTest;

TEST_F(RetentionE2eTest, ExpiredWeeksAreDroppedAndPendingDeliveriesCarriedForward) {
  StartSuite(/*deliverers=*/0);
  auto kept = CreateEndpoint(receiver_.Url("/kept"), {"user.*"});
  auto paused = CreateEndpoint(receiver_.Url("/paused"), {"user.*"});
  std::string pending_event = Publish("user.login", R"({"n": "carried"})");
  std::string done_event = Publish("user.logout", R"({"n": "dropped"})");
  v1::PauseEndpointRequest pause;
  pause.set_id(paused.id);
  v1::Endpoint e;
  ASSERT_TRUE(suite_->registry()
                  .PauseEndpoint(ServiceHarness::Context(suite_->admin_token()).get(), pause, &e)
                  .ok());

  // Both events 40 days old: one with every delivery finished, one still
  // pending for the paused endpoint; an attempt of that age too.
  std::string week =
      Sql("SELECT to_char(date_trunc('week', (now() - interval '40 days') "
          "AT TIME ZONE 'UTC'), 'YYYYMMDD')");
  Sql("SELECT argus_create_partitions((now() - interval '41 days')::date, "
      "(now() - interval '39 days')::date)");
  Sql(
      absl::StrCat("WITH done AS (UPDATE deliveries SET state = 3, finished_at = now() "
                   "WHERE event_id = '",
                   done_event, "' OR endpoint_id = '", kept.id,
                   "' RETURNING id) DELETE FROM delivery_queue WHERE delivery_id IN "
                   "(SELECT id FROM done)"));
  Sql(
      absl::StrCat("UPDATE delivery_queue SET bucket_at = bucket_at - interval '40 days' "
                   "WHERE event_id = '",
                   pending_event, "'"));
  for (const char* table : {"events", "deliveries"}) {
    Sql(absl::StrCat("UPDATE ", table,
                     " SET created_at = created_at - interval '40 days',"
                     " bucket_at = bucket_at - interval '40 days' WHERE ",
                     std::string(table) == "events" ? "id" : "event_id", " IN ('", pending_event,
                     "', '", done_event, "')"));
  }
  Sql(
      absl::StrCat("INSERT INTO delivery_attempts (delivery_id, endpoint_id, attempt, started_at,"
                   " duration_us) SELECT id, endpoint_id, 1, created_at, 1000 FROM deliveries"
                   " WHERE event_id = '",
                   done_event, "'"));
  ASSERT_EQ(Sql(absl::StrCat("SELECT count(*) FROM deliveries_", week)), "4");
  ASSERT_EQ(Sql(absl::StrCat("SELECT count(*) FROM delivery_attempts_", week)), "2");

  suite_->StartDeliverer();  // keeps the partitions as it starts
  ASSERT_TRUE(WaitUntil(
      [&] { return Sql(absl::StrCat("SELECT to_regclass('events_", week, "') IS NULL")) == "t"; },
      absl::Seconds(20)))
      << suite_->AllLogs();
  for (const char* table : {"deliveries_", "delivery_attempts_"}) {
    EXPECT_EQ(Sql(absl::StrCat("SELECT to_regclass('", table, week, "') IS NULL")), "t") << table;
  }
  EXPECT_EQ(Sql(absl::StrCat("SELECT count(*) FROM events WHERE id = '", done_event, "'")), "0");
  EXPECT_EQ(
      Sql(absl::StrCat("SELECT count(*) FROM deliveries WHERE event_id = '", done_event, "'")),
      "0");
  EXPECT_EQ(Sql("SELECT count(*) FROM delivery_attempts"), "0");
  // The carried event keeps its creation time and both its deliveries.
  EXPECT_EQ(Sql(absl::StrCat("SELECT created_at < now() - interval '39 days' AND "
                             "bucket_at > now() - interval '1 hour' FROM events WHERE id = '",
                             pending_event, "'")),
            "t");
  EXPECT_EQ(Sql(absl::StrCat("SELECT string_agg(state::text, ',' ORDER BY state) FROM deliveries"
                             " WHERE event_id = '",
                             pending_event, "'")),
            "1,3");
  // Its queue row (the only one) moved with it, to the delivery's new partition key.
  EXPECT_EQ(Sql("SELECT count(*) FILTER (WHERE q.bucket_at = d.bucket_at) || '/' || count(*) "
                "FROM delivery_queue q LEFT JOIN deliveries d ON d.id = q.delivery_id"),
            "1/1");
  EXPECT_TRUE(absl::StrContains(suite_->AllLogs(), "carried_forward=1")) << suite_->AllLogs();

  v1::ResumeEndpointRequest resume;
  resume.set_id(paused.id);
  ASSERT_TRUE(suite_->registry()
                  .ResumeEndpoint(ServiceHarness::Context(suite_->admin_token()).get(), resume, &e)
                  .ok());
  ASSERT_TRUE(receiver_.WaitFor("/paused", 1, absl::Seconds(15)));
  nlohmann::json body = nlohmann::json::parse(receiver_.Received("/paused")[0].body);
  EXPECT_EQ(body["id"], pending_event);
  EXPECT_EQ(body["data"]["n"], "carried");
  ASSERT_TRUE(WaitForState(pending_event, paused.id, "3", absl::Seconds(10)));
  EXPECT_EQ(receiver_.Received("/kept").size(), 0u);
}

TEST(RetentionFlagTest, RetentionBelowADayIsRefused) {
  testing::CommandResult r = testing::RunCommand(
      {DELIVERER_BINARY_FOR_TESTS, "--retention", "2h", "--database_url",
       "postgresql://postgres@127.0.0.1:1/never-contacted"},
      {absl::StrCat("ARGUS_SECRET_KEY=", testing::kTestSecretKey)}, absl::Seconds(20));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(r.err, "--retention must be at least 24h")) << r.err;
}

}  // namespace
}  // namespace argus
