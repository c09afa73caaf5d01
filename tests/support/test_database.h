#ifndef ARGUS_TESTS_SUPPORT_TEST_DATABASE_H_
#define ARGUS_TESTS_SUPPORT_TEST_DATABASE_H_

#include <string>

namespace argus::testing {

// A fresh database of its own (migrated unless asked for empty) on the cluster tests/run started
// (ARGUS_TEST_DATABASE_URL points at its maintenance database). Dropped on
// destruction. Aborts the test binary with a clear message when the variable
// is missing: these tests need a real PostgreSQL.
class TestDatabase {
 public:
  enum class Schema { kMigrated, kEmpty };

  explicit TestDatabase(Schema schema = Schema::kMigrated);
  // Same, on the cluster whose maintenance database is `admin_url`.
  explicit TestDatabase(const std::string& admin_url, Schema schema = Schema::kMigrated);
  ~TestDatabase();

  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

  // Runs `sql` (no parameters) and returns the first column of the first
  // row as text, "" when there is none. For assertions on stored rows.
  std::string QueryValue(const std::string& sql) const;

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

// ARGUS_TEST_DATABASE_URL, or abort with a message saying how to run tests.
std::string AdminDatabaseUrl();

// `url` with its database name replaced by `database`.
std::string WithDatabase(const std::string& url, const std::string& database);

}  // namespace argus::testing

#endif  // ARGUS_TESTS_SUPPORT_TEST_DATABASE_H_
