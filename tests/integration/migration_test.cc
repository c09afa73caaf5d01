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
        "deliveries", "delivery_attempts", "test_sessions"}) {
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
            RETURNING id, org_id, bucket_at)
INSERT INTO deliveries (event_id, endpoint_id, org_id, state, bucket_at)
SELECT id, gen_random_uuid(), org_id, 2, bucket_at FROM ev RETURNING 1)sql");
  std::string drop = "SELECT count(*) FROM argus_drop_partitions(now() - interval '30 days')";
  EXPECT_EQ(db.QueryValue(drop), "1");  // only the attempts' week
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM deliveries"), "1");
  db.QueryValue("UPDATE deliveries SET state = 3 RETURNING 1");
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
// the defaults and the partial indexes the claim and lease expiry use.
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
  EXPECT_EQ(predicate("deliveries_due"),
            absl::StrCat("(state = ", n(DeliveryState::kPending), ")"));
  EXPECT_EQ(predicate("deliveries_leased"),
            absl::StrCat("(state = ", n(DeliveryState::kInFlight), ")"));
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
