#include "common/schema_migrator.h"

#include <pqxx/pqxx>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/pg_pool.h"
#include "common/status_macros.h"

namespace argus {
namespace {

// Any constant works as long as every migrator uses the same one.
constexpr char kLock[] = "SELECT pg_advisory_lock(7274836021)";
constexpr char kUnlock[] = "SELECT pg_advisory_unlock(7274836021)";
constexpr char kCreateVersions[] = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version     integer PRIMARY KEY,
  name        text NOT NULL,
  applied_at  timestamptz NOT NULL DEFAULT now()
))sql";
constexpr char kAppliedVersions[] = "SELECT version FROM schema_migrations";
constexpr char kRecordVersion[] = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";

}  // namespace

absl::StatusOr<int> ApplyMigrations(const std::string& database_url,
                                    const std::vector<Migration>& migrations) {
  std::unique_ptr<pqxx::connection> conn;
  ARGUS_RETURN_IF_ERROR(Connect(database_url, &conn));
  int applied = 0;
  std::string current = "schema_migrations";
  try {
    {
      // A session lock, outside any transaction: held until unlock/disconnect.
      pqxx::nontransaction lock(*conn);
      lock.exec(kLock);
    }
    {
      pqxx::work tx(*conn);
      tx.exec0(kCreateVersions);
      tx.commit();
    }
    std::set<int> done;
    {
      pqxx::read_transaction tx(*conn);
      for (const auto& row : tx.exec(kAppliedVersions)) done.insert(row[0].as<int>());
    }
    for (const Migration& m : migrations) {
      if (done.count(m.version)) continue;
      current = absl::StrCat(m.version, "_", m.name);
      pqxx::work tx(*conn);
      tx.exec0(std::string(m.sql));
      tx.exec_params0(kRecordVersion, m.version, std::string(m.name));
      tx.commit();
      LogInfo("migration applied",
              {{"version", absl::StrCat(m.version)}, {"name", std::string(m.name)}});
      ++applied;
    }
    pqxx::nontransaction unlock(*conn);
    unlock.exec(kUnlock);
  } catch (const pqxx::broken_connection&) {
    return MapPqxxException("migrate");
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("migration ", current, " failed: ", e.what()));
  }
  return applied;
}

}  // namespace argus
