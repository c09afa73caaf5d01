// DeliveryStore against a real PostgreSQL: an ordered endpoint's head that
// keeps killing its deliverers is quarantined without breaking the order.
#include "services/deliverer/delivery_store.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "common/pg_pool.h"
#include "tests/support/test_database.h"

namespace argus {
namespace {

using testing::TestDatabase;

// An ordered endpoint (on_ordered_failure `failure`) with two queued
// deliveries, numbered 1 and 2 as publishing numbers them; the head's lease
// expired after its third claim without a result.
void OrderedWithPoisonHead(TestDatabase& db, int failure) {
  db.QueryValue(absl::StrCat(R"sql(
WITH o AS (INSERT INTO orgs (slug, name) VALUES ('acme', 'Acme') RETURNING id),
ep AS (INSERT INTO endpoints (org_id, label, url, format, event_types, ordering,
                              on_ordered_failure)
       SELECT id, 'e', 'https://receiver.example.com/', 1, ARRAY['user.*'], 1, )sql",
                             failure, R"sql( FROM o RETURNING id, org_id),
ev AS (INSERT INTO events (org_id, type, occurred_at, payload)
       SELECT org_id, 'user.login', now(), '{}' FROM ep, generate_series(1, 2) RETURNING id, org_id)
SELECT 1 FROM ep)sql"));
  db.QueryValue(R"sql(
WITH d AS (INSERT INTO deliveries (event_id, endpoint_id, org_id, bucket_at, sequence)
           SELECT ev.id, ep.id, ev.org_id, ev.bucket_at, 0 FROM events ev, endpoints ep
           ORDER BY ev.created_at, ev.id
           RETURNING id, event_id, endpoint_id, bucket_at, sequence),
q AS (INSERT INTO delivery_queue (delivery_id, bucket_at, event_id, endpoint_id, sequence)
      SELECT id, bucket_at, event_id, endpoint_id, sequence FROM d ORDER BY sequence)
SELECT '')sql");
  db.QueryValue(R"sql(
UPDATE delivery_queue SET lease_owner = 'dead', lease_expires_at = now() - interval '1 s',
  unrecorded_claims = 3
WHERE sequence = 1 RETURNING '')sql");
}

std::string Queue(TestDatabase& db) {
  return db.QueryValue(
      "SELECT string_agg(sequence || ':' || hold, ',' ORDER BY sequence) FROM delivery_queue");
}

TEST(DeliveryStoreTest, APoisonHeadUnderPauseStaysTheHeadAndPausesItsEndpoint) {
  TestDatabase db;
  PgPool pool({.url = db.url(), .size = 1});
  DeliveryStore store(&pool, {});
  OrderedWithPoisonHead(db, static_cast<int>(OrderedFailure::kPause));
  EXPECT_EQ(Queue(db), "1:0,2:3");

  absl::StatusOr<ExpiredLeases> expired = store.ExpireLeases();
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_TRUE(expired->poisoned_formats.empty());
  EXPECT_EQ(expired->kept_poison_formats.size(), 1u);
  EXPECT_EQ(Queue(db), "1:1,2:3") << "the head is kept, held with its paused endpoint";
  EXPECT_EQ(db.QueryValue("SELECT state FROM endpoints"), "4");
  EXPECT_NE(db.QueryValue("SELECT disabled_reason FROM endpoints").find("(sequence 1) quarantined"),
            std::string::npos);
  EXPECT_EQ(
      db.QueryValue(
          "SELECT string_agg(state || ':' || coalesce(last_error, '') || ':' || attempts, ',' "
          "ORDER BY sequence) FROM deliveries"),
      "1:poison:1,1::0");
  EXPECT_EQ(db.QueryValue("SELECT error FROM delivery_attempts"), "poison");

  // ResumeEndpoint's state change: the head is claimable again, the rest waits.
  db.QueryValue("UPDATE endpoints SET state = 1 RETURNING ''");
  EXPECT_EQ(Queue(db), "1:0,2:3");
}

TEST(DeliveryStoreTest, APoisonHeadUnderSkipFailsAndTheNextBecomesTheHead) {
  TestDatabase db;
  PgPool pool({.url = db.url(), .size = 1});
  DeliveryStore store(&pool, {});
  OrderedWithPoisonHead(db, static_cast<int>(OrderedFailure::kSkip));

  absl::StatusOr<ExpiredLeases> expired = store.ExpireLeases();
  ASSERT_TRUE(expired.ok()) << expired.status();
  EXPECT_EQ(expired->poisoned_formats.size(), 1u);
  EXPECT_TRUE(expired->kept_poison_formats.empty());
  EXPECT_EQ(Queue(db), "2:0");
  EXPECT_EQ(db.QueryValue("SELECT state FROM endpoints"), "1");
  EXPECT_EQ(db.QueryValue("SELECT state FROM deliveries WHERE sequence = 1"), "4");
}

}  // namespace
}  // namespace argus
