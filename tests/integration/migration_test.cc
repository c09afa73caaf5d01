// argusctl migrate, as operators run it: twice in a row and several at once
// must leave one correct schema.
#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/schema_migrator.h"
#include "tests/support/test_database.h"

namespace argus {
namespace {

using testing::TestDatabase;

int RunArgusctlMigrate(const std::string& url) {
  std::string cmd = absl::StrCat("ARGUS_DATABASE_URL='", url, "' ", ARGUSCTL_BINARY,
                                 " migrate 2>/dev/null");
  return std::system(cmd.c_str());
}

void ExpectCompleteSchema(const TestDatabase& db) {
  int latest = EmbeddedMigrations().back().version;
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM schema_migrations"),
            absl::StrCat(EmbeddedMigrations().size()));
  EXPECT_EQ(db.QueryValue("SELECT max(version) FROM schema_migrations"), absl::StrCat(latest));
  EXPECT_EQ(db.QueryValue("SELECT count(*) FROM event_types"), "42");
  for (const char* table : {"orgs", "api_tokens", "endpoints", "endpoint_secrets", "events",
                            "idempotency_keys", "deliveries", "delivery_attempts",
                            "test_sessions"}) {
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

TEST(MigrationTest, UnreachableDatabaseIsUnavailable) {
  absl::StatusOr<int> r =
      ApplyMigrations("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2",
                      EmbeddedMigrations());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace argus
