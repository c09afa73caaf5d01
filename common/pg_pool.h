#ifndef ARGUS_COMMON_PG_POOL_H_
#define ARGUS_COMMON_PG_POOL_H_

#include <memory>
#include <optional>
#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/transaction>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/mutex.h"

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

  // Runs `fn(tx)` in a read-only transaction (Read), a transaction that is
  // committed when `fn` returns OK (Write), or no transaction (Exec: each
  // statement commits on its own). `fn` returns absl::Status or
  // absl::StatusOr<T>, and so do these: a database error is its Status.
  template <typename Fn>
  auto Read(absl::string_view op, Fn&& fn) {
    return InTransaction<pqxx::read_transaction>(op, fn);
  }
  template <typename Fn>
  auto Write(absl::string_view op, Fn&& fn) {
    return InTransaction<pqxx::work>(op, fn);
  }
  template <typename Fn>
  auto Exec(absl::string_view op, Fn&& fn) {
    return InTransaction<pqxx::nontransaction>(op, fn);
  }

  // Makes `sql` the prepared statement `name` of every connection, prepared
  // explicitly on each before its next use (tx.exec_prepared(name, ...)).
  // Parsed once per connection instead of on every call, and planned once
  // PostgreSQL settles on a generic plan. For the hot statements. A name
  // registered again with the same SQL is a no-op.
  void Prepare(std::string name, std::string sql);

  const std::string& url() const { return options_.url; }

 private:
  struct Connection {
    std::unique_ptr<pqxx::connection> conn;
    size_t prepared = 0;  // how many of statements_ it has
  };
  struct Statement {
    std::string name;
    std::string sql;
  };

  template <typename Tx, typename Fn>
  auto InTransaction(absl::string_view op, Fn& fn) -> std::invoke_result_t<Fn&, Tx&>;
  // Prepares on `c` the statements registered since it last did.
  void PrepareStatements(Connection& c);

  Options options_;
  Mutex mu_;
  std::vector<Connection> idle_ ABSL_GUARDED_BY(mu_);
  int in_use_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Statement> statements_ ABSL_GUARDED_BY(mu_);
};

namespace pg_internal {
inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}
}  // namespace pg_internal

template <typename Tx, typename Fn>
auto PgPool::InTransaction(absl::string_view op, Fn& fn) -> std::invoke_result_t<Fn&, Tx&> {
  using Result = std::invoke_result_t<Fn&, Tx&>;
  std::optional<Result> result;
  absl::Status status = Run(op, [&](pqxx::connection& c) {
    Tx tx(c);
    result.emplace(fn(tx));
    absl::Status s = pg_internal::StatusOf(*result);
    if constexpr (std::is_same_v<Tx, pqxx::work>) {
      if (s.ok()) tx.commit();
    }
    return s;
  });
  if (!status.ok()) return status;
  return *std::move(result);
}

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
