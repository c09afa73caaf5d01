#ifndef ARGUS_COMMON_PG_POOL_H_
#define ARGUS_COMMON_PG_POOL_H_

#include <memory>
#include <pqxx/connection>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/mutex.h"
#include "absl/time/time.h"

namespace argus {

// A bounded pool of PostgreSQL connections that heals itself: connections are
// opened lazily, a connection found dead (the server restarted, the network
// dropped) is discarded and reopened on next use, and while the database is
// unreachable callers get UNAVAILABLE instead of hanging.
class PgPool {
 public:
  struct Options {
    std::string url;
    int size = 8;
    // How long Run waits for a free connection before UNAVAILABLE.
    absl::Duration acquire_timeout = absl::Seconds(5);
    // Run once on every new connection: session settings.
    std::string on_connect = kSessionSettings;
  };

  // Every statement of ours is short. JIT compilation costs tens of
  // milliseconds, and plans over the partitions are estimated above
  // jit_above_cost (measured: 65 ms of a 70 ms claim was compiling).
  static constexpr char kSessionSettings[] = "SET jit = off";

  explicit PgPool(Options options);
  ~PgPool();

  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Runs `fn` with a connection of its own. libpqxx exceptions thrown by `fn`
  // become a Status (see MapPqxxException); `op` names the operation in logs.
  absl::Status Run(absl::string_view op, absl::FunctionRef<absl::Status(pqxx::connection&)> fn);

  const std::string& url() const { return options_.url; }

 private:
  Options options_;
  Mutex mu_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_ ABSL_GUARDED_BY(mu_);
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
};

// The readiness check of a service that needs the database: SELECT 1 on a
// connection of its own (a busy pool must not make the service look down),
// reopened as needed, connecting with a 2 s timeout. Not thread-safe: one
// caller (ServiceHost's health prober).
class DatabaseProbe {
 public:
  explicit DatabaseProbe(const std::string& url);
  ~DatabaseProbe();

  // OK, or UNAVAILABLE "database unreachable".
  absl::Status Check();

 private:
  const std::string url_;
  std::unique_ptr<pqxx::connection> conn_;
};

// Maps the exception being handled (call inside a catch block) to a Status:
// lost connection → UNAVAILABLE, unique violation → ALREADY_EXISTS,
// serialization failure/deadlock → ABORTED, other SQL errors → INTERNAL.
// Details go to the log, not into the message.
absl::Status MapPqxxException(absl::string_view op);

// True for what MapPqxxException (or the pool) returns when a later try may
// succeed: the database away or busy (UNAVAILABLE, RESOURCE_EXHAUSTED,
// DEADLINE_EXCEEDED) or a conflict (ABORTED). False for errors of the data
// or the statement, which fail again the same way.
bool IsTransientDatabaseError(const absl::Status& status);

// Opens a connection, mapping failure to UNAVAILABLE.
absl::Status Connect(const std::string& url, std::unique_ptr<pqxx::connection>* out);

}  // namespace argus

#endif  // ARGUS_COMMON_PG_POOL_H_
