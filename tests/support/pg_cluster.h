#ifndef ARGUS_TESTS_SUPPORT_PG_CLUSTER_H_
#define ARGUS_TESTS_SUPPORT_PG_CLUSTER_H_

#include <string>

namespace argus::testing {

// A PostgreSQL cluster of the test's own (tests/pg_cluster), for tests that
// stop and start the database under a running service. Stopped and removed
// on destruction.
class PgCluster {
 public:
  PgCluster();
  ~PgCluster();

  PgCluster(const PgCluster&) = delete;
  PgCluster& operator=(const PgCluster&) = delete;

  void Start();
  void Stop();
  // postgresql://postgres@127.0.0.1:PORT/postgres
  std::string admin_url() const;

 private:
  std::string dir_;
  int port_ = 0;
  bool running_ = false;
};

// Runs a shell command; aborts the test binary when it fails.
void RunOrDie(const std::string& command);

}  // namespace argus::testing

#endif  // ARGUS_TESTS_SUPPORT_PG_CLUSTER_H_
