#include "bench/statement_profile.h"

#include "absl/strings/str_cat.h"
#include "tests/support/test_database.h"

namespace argus::bench {

StatementProfile::StatementProfile() : c_(testing::AdminDatabaseUrl()) {
  pqxx::nontransaction tx(c_);
  available_ = tx.exec1(
                     "SELECT count(*) FROM pg_available_extensions "
                     "WHERE name = 'pg_stat_statements'")[0]
                       .as<int>() > 0 &&
               tx.exec1("SHOW shared_preload_libraries")[0].as<std::string>().find(
                   "pg_stat_statements") != std::string::npos;
  if (available_) tx.exec0("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
}

void StatementProfile::Reset() {
  if (available_) pqxx::nontransaction(c_).exec("SELECT pg_stat_statements_reset()");
}

std::vector<std::string> StatementProfile::Top(int n) {
  std::vector<std::string> out;
  if (!available_) return out;
  pqxx::nontransaction tx(c_);
  for (const auto& row :
       tx.exec_params("SELECT round(total_exec_time)::bigint, calls, rows, "
                      "round((100 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 1), "
                      "left(regexp_replace(query, '\\s+', ' ', 'g'), 120) "
                      "FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT $1",
                      n)) {
    out.push_back(absl::StrCat("pg ", row[3].as<std::string>(), "% ", row[0].as<std::string>(),
                               " ms, ", row[1].as<std::string>(), " calls, ",
                               row[2].as<std::string>(), " rows: ", row[4].as<std::string>()));
  }
  return out;
}

std::optional<double> StatementProfile::MeanMs(const std::string& marker) {
  if (!available_) return std::nullopt;
  pqxx::nontransaction tx(c_);
  pqxx::row r = tx.exec_params1(
      "SELECT sum(total_exec_time) / nullif(sum(calls), 0) FROM pg_stat_statements "
      "WHERE strpos(query, $1) > 0",
      marker);
  if (r[0].is_null()) return std::nullopt;
  return r[0].as<double>();
}

}  // namespace argus::bench
