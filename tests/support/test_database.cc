#include "tests/support/test_database.h"

#include <cstdio>
#include <cstdlib>
#include <pqxx/pqxx>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"
#include "common/schema_migrator.h"

namespace argus::testing {

std::string AdminDatabaseUrl() {
  const char* url = std::getenv("ARGUS_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    std::fprintf(stderr,
                 "ARGUS_TEST_DATABASE_URL is not set: run the tests with tests/run, which "
                 "starts a throwaway PostgreSQL and sets it.\n");
    std::abort();
  }
  return url;
}

std::string WithDatabase(const std::string& url, const std::string& database) {
  // postgresql://user@host:port/db?params
  size_t scheme = url.find("://");
  size_t slash = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  size_t query = url.find('?');
  std::string base = url.substr(0, slash);
  std::string params = query == std::string::npos ? "" : url.substr(query);
  return absl::StrCat(base, "/", database, params);
}

TestDatabase::TestDatabase(Schema schema) : TestDatabase(AdminDatabaseUrl(), schema) {}

TestDatabase::TestDatabase(const std::string& admin_url, Schema schema) : admin_url_(admin_url) {
  name_ = absl::StrCat("argus_t_", HexEncode(RandomBytes(6)));
  {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    tx.exec0(absl::StrCat("CREATE DATABASE ", name_));
  }
  url_ = WithDatabase(admin_url_, name_);
  if (schema == Schema::kEmpty) return;
  absl::StatusOr<int> applied = ApplyMigrations(url_, EmbeddedMigrations());
  if (!applied.ok()) {
    std::fprintf(stderr, "migrating %s failed: %s\n", name_.c_str(),
                 std::string(applied.status().message()).c_str());
    std::abort();
  }
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    tx.exec0(absl::StrCat("DROP DATABASE IF EXISTS ", name_, " WITH (FORCE)"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dropping %s failed: %s\n", name_.c_str(), e.what());
  }
}

std::string TestDatabase::QueryValue(const std::string& sql) const {
  pqxx::connection conn(url_);
  pqxx::nontransaction tx(conn);
  pqxx::result r = tx.exec(sql);
  if (r.empty() || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

}  // namespace argus::testing
