// ResultRecorder against a real PostgreSQL: a row that cannot be written
// does not hold back the rest of its batch.
#include "services/deliverer/result_recorder.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/pg_pool.h"
#include "services/deliverer/delivery_store.h"
#include "tests/support/test_database.h"

namespace argus {
namespace {

using testing::TestDatabase;

constexpr char kReplica[] = "replica-under-test";

// One delivery of a fresh endpoint, leased to kReplica; returns its id.
std::string LeasedDelivery(TestDatabase& db, const std::string& org_suffix) {
  return db.QueryValue(absl::StrCat(R"sql(
WITH o AS (INSERT INTO orgs (slug, name) VALUES ('acme-)sql",
                                    org_suffix, R"sql(', 'Acme')
           RETURNING id),
ep AS (INSERT INTO endpoints (org_id, label, url, format, event_types)
       SELECT id, 'e', 'https://receiver.example.com/', 1, ARRAY['user.*'] FROM o RETURNING id, org_id),
ev AS (INSERT INTO events (org_id, type, occurred_at, payload)
       SELECT org_id, 'user.login', now(), '{}' FROM ep RETURNING id, org_id, bucket_at),
d AS (INSERT INTO deliveries (event_id, endpoint_id, org_id, bucket_at)
      SELECT ev.id, ep.id, ev.org_id, ev.bucket_at FROM ev, ep
      RETURNING id, event_id, endpoint_id, bucket_at),
q AS (INSERT INTO delivery_queue (delivery_id, bucket_at, event_id, endpoint_id, lease_owner,
                                  lease_expires_at, unrecorded_claims)
      SELECT id, bucket_at, event_id, endpoint_id, ')sql",
                                    kReplica, R"sql(', now() + interval '1 minute', 1 FROM d)
SELECT id::text || ' ' || endpoint_id::text || ' ' || bucket_at::text FROM d)sql"));
}

AttemptRecord Succeeded(const std::string& row) {
  // "delivery endpoint bucket_at" (bucket_at has a space itself).
  size_t first = row.find(' ');
  size_t second = row.find(' ', first + 1);
  AttemptRecord r;
  r.delivery_id = row.substr(0, first);
  r.endpoint_id = row.substr(first + 1, second - first - 1);
  r.bucket_at = row.substr(second + 1);
  r.started = absl::Now();
  r.duration = absl::Milliseconds(3);
  r.status_code = 200;
  r.response_body = "ok";
  r.verdict = DeliveryVerdict::kSucceeded;
  return r;
}

TEST(ResultRecorderTest, ARowThatCannotBeWrittenDoesNotHoldBackItsBatch) {
  TestDatabase db;
  PgPool pool({.url = db.url(), .size = 2});
  DeliveryStore store(&pool, {});
  prometheus::Registry registry;
  DelivererMetrics metrics(registry);
  std::string good_row = LeasedDelivery(db, "1");
  std::string other_row = LeasedDelivery(db, "2");
  AttemptRecord bad = Succeeded(good_row);
  bad.delivery_id = "not-a-uuid";  // the database refuses this row, whatever it is retried with
  int written = 0;
  absl::Notification both;
  ResultRecorder recorder(kReplica, &store, &metrics, [&](bool) {
    if (++written == 1) both.Notify();
  });
  recorder.Add({Succeeded(good_row), bad, Succeeded(other_row)});
  ASSERT_TRUE(both.WaitForNotificationWithTimeout(absl::Seconds(20)));
  recorder.Finish();
  EXPECT_EQ(recorder.Pending(), 0);
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM deliveries WHERE state = 3"), "2");
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM delivery_attempts"), "2");
  std::string scraped = prometheus::TextSerializer().Serialize(registry.Collect());
  EXPECT_TRUE(
      absl::StrContains(scraped, "argus_webhook_result_write_failures_total{reason=\"row\"} 1"))
      << scraped;
  EXPECT_TRUE(absl::StrContains(scraped,
                                "argus_webhook_result_write_failures_total{reason=\"dropped\"} 1"));
  EXPECT_TRUE(absl::StrContains(
      scraped, "argus_webhook_result_write_failures_total{reason=\"transient\"} 0"));
}

}  // namespace
}  // namespace argus
