#ifndef ARGUS_BENCH_STATEMENT_PROFILE_H_
#define ARGUS_BENCH_STATEMENT_PROFILE_H_

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace argus::bench {

// Where PostgreSQL spent its time, when pg_stat_statements is loaded
// (bench/run loads it): the statements of every database on the cluster
// since the last Reset().
class StatementProfile {
 public:
  StatementProfile();

  void Reset();
  // The top `n` statements by total execution time, one line each.
  std::vector<std::string> Top(int n);
  // The mean execution time of the statements whose text contains `marker`,
  // in ms; nullopt without pg_stat_statements or before the first call.
  std::optional<double> MeanMs(const std::string& marker);

 private:
  pqxx::connection c_;
  bool available_ = false;
};

}  // namespace argus::bench

#endif  // ARGUS_BENCH_STATEMENT_PROFILE_H_
