// argusctl migrate, as operators run it: twice in a row and several at once
// must leave one correct schema.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/delivery_vocabulary.h"
#include "common/schema_migrator.h"
#include "tests/support/test_database.h"

namespace argus {
namespace {

using testing::TestDatabase;

int RunArgusctlMigrate(const std::string& url) {
  std::string cmd =
      absl::StrCat("ARGUS_DATABASE_URL='", url, "' ", ARGUSCTL_BINARY, " migrate 2>/dev/null");
  return std::system(cmd.c_str());
}

void ExpectCompleteSchema(const TestDatabase& db) {
  int latest = EmbeddedMigrations().back().version;
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM schema_migrations"),
            absl::StrCat(EmbeddedMigrations().size()));
  EXPECT_EQ(db.QueryValue("SELECT max(version) FROM schema_migrations"), absl::StrCat(latest));
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM event_types"), "42");
  for (const char* table :
       {"orgs", "api_tokens", "endpoints", "endpoint_secrets", "events", "idempotency_keys",
        "deliveries", "delivery_attempts", "test_sessions", "delivery_queue", "endpoint_meters"}) {
    EXPECT_EQ(db.QueryValue(absl::StrCat("SELECT to_regclass('", table, "') IS NOT NULL")), "t")
        << table;
  }
}

TEST(MigrationTest, TwiceInARowIsHarmless) {
  TestDatabase db(TestDatabase::Schema::kEmpty);
  absl::StatusOr<int> first = ApplyMigrations(db.url(), EmbeddedMigrations());
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, static_cast<int>(EmbeddedMigrations().size()));
  absl::StatusOr<int> second = ApplyMigrations(db.url(), EmbeddedMigrations());
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(*second, 0);
  EXPECT_EQ(RunArgusctlMigrate(db.url()), 0);
  ExpectCompleteSchema(db);
}

TEST(MigrationTest, FourArgusctlsAtOnceLeaveOneSchema) {
  TestDatabase db(TestDatabase::Schema::kEmpty);
  std::vector<std::thread> runs;
  std::vector<int> codes(4, -1);
  for (int i = 0; i < 4; ++i) {
    runs.emplace_back([&, i] { codes[i] = RunArgusctlMigrate(db.url()); });
  }
  for (auto& t : runs) t.join();
  for (int code : codes) EXPECT_EQ(code, 0);
  ExpectCompleteSchema(db);
}

// 0005 moves the history into week partitions: every row keeps its values,
// each delivery lands in its event's week, nothing is left in a default.
TEST(MigrationTest, WeekPartitionsKeepEveryExistingRow) {
  TestDatabase db(TestDatabase::Schema::kEmpty);
  std::vector<Migration> before(EmbeddedMigrations().begin(), EmbeddedMigrations().begin() + 4);
  ASSERT_EQ(before.back().version, 4);
  ASSERT_TRUE(ApplyMigrations(db.url(), before).ok());
  db.QueryValue(R"sql(
WITH o AS (INSERT INTO orgs (slug, name) VALUES ('acme', 'Acme') RETURNING id),
ep AS (INSERT INTO endpoints (org_id, label, url, format, event_types)
       SELECT id, 'l', 'https://example.com/h', 1, '{user.*}' FROM o RETURNING id, org_id),
ev AS (INSERT INTO events (org_id, type, occurred_at, created_at, payload)
       SELECT o.id, 'user.login', now(), now() - d * interval '1 day', '{"d":' || d || '}'
       FROM o, generate_series(0, 3) d RETURNING id, org_id, created_at),
dl AS (INSERT INTO deliveries (event_id, endpoint_id, org_id, state, created_at)
       SELECT ev.id, ep.id, ev.org_id, 3, ev.created_at + interval '1 second'
       FROM ev, ep RETURNING id, endpoint_id, created_at)
INSERT INTO delivery_attempts (delivery_id, endpoint_id, attempt, started_at, duration_us)
SELECT id, endpoint_id, 1, created_at, 5 FROM dl RETURNING 1)sql");
  ASSERT_TRUE(ApplyMigrations(db.url(), EmbeddedMigrations()).ok());
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM events"), "4");
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM deliveries d JOIN events e "
                          "ON e.id = d.event_id AND e.bucket_at = d.bucket_at "
                          "WHERE e.bucket_at = e.created_at AND d.state = 3"),
            "4");
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM delivery_attempts"), "4");
  EXPECT_EQ(db.QueryValue("SELECT string_agg(d, ',' ORDER BY d) FROM (SELECT payload AS d "
                          "FROM events) p"),
            "{\"d\":0},{\"d\":1},{\"d\":2},{\"d\":3}");
  EXPECT_EQ(db.QueryValue("SELECT (SELECT count(*) FROM events_default) + "
                          "(SELECT count(*) FROM deliveries_default) + "
                          "(SELECT count(*) FROM delivery_attempts_default)"),
            "0");
  // From the oldest row's week to next week, and the default.
  EXPECT_EQ(db.QueryValue("SELECT count(*) BETWEEN 3 AND 4 FROM pg_inherits "
                          "WHERE inhparent = 'deliveries'::regclass"),
            "t");
}

// 0008 puts every open delivery in the queue: one in flight when the old
// deliverer stopped is due again (its attempt not counted), a paused
// endpoint's is held, a rate-limited endpoint's is metered and the endpoint
// gets a meter; finished ones stay out.
TEST(MigrationTest, TheHotQueueTakesEveryOpenDelivery) {
  TestDatabase db(TestDatabase::Schema::kEmpty);
  std::vector<Migration> before(EmbeddedMigrations().begin(), EmbeddedMigrations().begin() + 7);
  ASSERT_EQ(before.back().version, 7);
  ASSERT_TRUE(ApplyMigrations(db.url(), before).ok());
  db.QueryValue(R"sql(
WITH o AS (INSERT INTO orgs (slug, name) VALUES ('acme', 'Acme') RETURNING id),
ep AS (INSERT INTO endpoints (org_id, label, url, format, event_types, state,
                              rate_limit_per_second)
       SELECT o.id, s || '/' || r, 'https://example.com/h', 1, '{user.*}', s, r
       FROM o, (VALUES (1, 0), (2, 0), (1, 5)) v(s, r) RETURNING id, org_id, label),
ev AS (INSERT INTO events (org_id, type, occurred_at, payload)
       SELECT id, 'user.login', now(), '{}' FROM o RETURNING id, org_id, bucket_at)
INSERT INTO deliveries (event_id, endpoint_id, org_id, state, attempts, bucket_at, lease_owner)
SELECT ev.id, ep.id, ev.org_id, st, CASE st WHEN 2 THEN 3 ELSE 2 END, ev.bucket_at,
       CASE st WHEN 2 THEN 'old-replica' END
FROM ev, ep, generate_series(1, 4) st RETURNING 1)sql");
  ASSERT_TRUE(ApplyMigrations(db.url(), EmbeddedMigrations()).ok());
  EXPECT_EQ(
      db.QueryValue("SELECT string_agg(ep.label || ':' || q.hold || ':' || q.attempts || ':' || "
                    "coalesce(q.lease_owner, '-'), ',' ORDER BY ep.label, q.attempts) "
                    "FROM delivery_queue q JOIN endpoints ep ON ep.id = q.endpoint_id"),
      "1/0:0:2:-,1/0:0:2:-,1/5:2:2:-,1/5:2:2:-,2/0:1:2:-,2/0:1:2:-");
  EXPECT_EQ(db.QueryValue("SELECT string_agg(state::text || ':' || attempts, ',' ORDER BY state, "
                          "attempts) FROM deliveries WHERE state IN (1, 2)"),
            "1:2,1:2,1:2,1:2,1:2,1:2");
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM endpoint_meters"), "1");
}

// A week's partitions are not dropped while one of its deliveries is in
// flight (its result is still to be written); the next pass drops them.
TEST(MigrationTest, AWeekWithADeliveryInFlightWaits) {
  TestDatabase db(TestDatabase::Schema::kMigrated);
  db.QueryValue(
      "SELECT argus_create_partitions(utc_today - 45, utc_today - 45) "
      "FROM (SELECT (now() AT TIME ZONE 'UTC')::date AS utc_today) t");
  db.QueryValue(R"sql(
WITH ev AS (INSERT INTO events (org_id, type, occurred_at, payload, bucket_at)
            VALUES (gen_random_uuid(), 'user.login', now(), '{}', now() - interval '45 days')
            RETURNING id, org_id, bucket_at),
dl AS (INSERT INTO deliveries (event_id, endpoint_id, org_id, bucket_at)
       SELECT id, gen_random_uuid(), org_id, bucket_at FROM ev
       RETURNING id, event_id, endpoint_id, bucket_at)
INSERT INTO delivery_queue (delivery_id, bucket_at, event_id, endpoint_id, lease_owner,
                            lease_expires_at)
SELECT id, bucket_at, event_id, endpoint_id, 'r1', now() + interval '1 minute' FROM dl
RETURNING 1)sql");
  std::string drop = "SELECT count(*) FROM argus_drop_partitions(now() - interval '30 days')";
  EXPECT_EQ(db.QueryValue(drop), "1");  // only the attempts' week
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM deliveries"), "1");
  db.QueryValue(
      "WITH q AS (DELETE FROM delivery_queue RETURNING delivery_id) "
      "UPDATE deliveries SET state = 3 FROM q WHERE id = q.delivery_id RETURNING 1");
  EXPECT_EQ(db.QueryValue(drop), "1");
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM deliveries"), "0");
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM events"), "0");
}

// Rows written while their week had no partition wait in the default one
// and move into the week's partition when it is created.
TEST(MigrationTest, CreatingAWeekMovesItsRowsOutOfTheDefault) {
  TestDatabase db(TestDatabase::Schema::kMigrated);
  db.QueryValue(
      "INSERT INTO events (org_id, type, occurred_at, payload, bucket_at) VALUES "
      "(gen_random_uuid(), 'user.login', now(), '{}', now() + interval '20 days') "
      "RETURNING 1");
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM events_default"), "1");
  EXPECT_EQ(db.QueryValue("SELECT argus_create_partitions(utc_today + 20, utc_today + 20) "
                          "FROM (SELECT (now() AT TIME ZONE 'UTC')::date AS utc_today) t"),
            "3");
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM events_default"), "0");
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM events"), "1");
}

// The schema's integers are the vocabulary's (common/delivery_vocabulary.h):
// the defaults, the partial indexes the claim and lease expiry use, the
// queue's holds.
TEST(MigrationTest, TheSchemaSpeaksTheDeliveryVocabulary) {
  TestDatabase db;
  auto n = [](auto v) { return absl::StrCat(static_cast<int>(v)); };
  auto column_default = [&](const char* table, const char* column) {
    return db.QueryValue(
        absl::StrCat("SELECT column_default FROM information_schema.columns WHERE table_name = '",
                     table, "' AND column_name = '", column, "'"));
  };
  auto predicate = [&](const char* index) {
    return db.QueryValue(
        absl::StrCat("SELECT pg_get_expr(indpred, indrelid) FROM pg_index WHERE indexrelid = '",
                     index, "'::regclass"));
  };
  EXPECT_EQ(column_default("deliveries", "state"), n(DeliveryState::kPending));
  EXPECT_EQ(column_default("endpoints", "state"), n(EndpointState::kEnabled));
  EXPECT_EQ(column_default("delivery_queue", "hold"), n(QueueHold::kReady));
  EXPECT_EQ(predicate("delivery_queue_due"),
            absl::StrCat("((hold = ", n(QueueHold::kReady), ") AND (lease_owner IS NULL))"));
  EXPECT_EQ(
      db.QueryValue("SELECT string_agg(argus_queue_hold(s::smallint, NULL, r)::text, ',' "
                    "ORDER BY s, r) FROM generate_series(1, 3) s, generate_series(0, 1) r"),
      absl::StrCat(n(QueueHold::kReady), ",", n(QueueHold::kMetered), ",", n(QueueHold::kOff), ",",
                   n(QueueHold::kOff), ",", n(QueueHold::kOff), ",", n(QueueHold::kOff)));
  EXPECT_EQ(predicate("deliveries_open_by_endpoint"),
            absl::StrCat("(state = ANY (ARRAY[", n(DeliveryState::kPending), ", ",
                         n(DeliveryState::kFailed), "]))"));
}

TEST(MigrationTest, UnreachableDatabaseIsUnavailable) {
  absl::StatusOr<int> r = ApplyMigrations(
      "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2", EmbeddedMigrations());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace argus
