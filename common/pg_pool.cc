#include "common/pg_pool.h"

#include <poll.h>

#include <exception>
#include <pqxx/pqxx>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"

namespace argus {
namespace {

// An idle connection whose socket is readable has been told something by the
// server (usually "terminating connection" or EOF after a restart): it is
// dead. One non-blocking poll per checkout costs microseconds and spares the
// caller an error after every database restart.
bool LooksAlive(pqxx::connection& conn) {
  if (!conn.is_open()) return false;
  pollfd pfd{conn.sock(), POLLIN, 0};
  int ready = ::poll(&pfd, 1, 0);
  return ready == 0;
}

}  // namespace

absl::Status MapPqxxException(absl::string_view op) {
  try {
    throw;
  } catch (const pqxx::broken_connection& e) {
    LogWarning("database connection lost", {{"op", std::string(op)}, {"error", e.what()}});
    return absl::UnavailableError("database unavailable, retry later");
  } catch (const pqxx::unique_violation& e) {
    return absl::AlreadyExistsError(absl::StrCat(op, ": already exists"));
  } catch (const pqxx::serialization_failure& e) {
    return absl::AbortedError(absl::StrCat(op, ": conflict, retry"));
  } catch (const pqxx::deadlock_detected& e) {
    return absl::AbortedError(absl::StrCat(op, ": conflict, retry"));
  } catch (const pqxx::in_doubt_error& e) {
    LogError("commit outcome unknown", {{"op", std::string(op)}, {"error", e.what()}});
    return absl::UnavailableError("database connection lost during commit");
  } catch (const pqxx::sql_error& e) {
    // Class 08 (connection exception) and 57P (operator intervention, e.g.
    // the server shutting down) are outages, not bugs.
    const std::string& state = e.sqlstate();
    if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0) {
      LogWarning("database unavailable", {{"op", std::string(op)}, {"sqlstate", state}});
      return absl::UnavailableError("database unavailable, retry later");
    }
    LogError("sql error", {{"op", std::string(op)}, {"sqlstate", state}, {"error", e.what()}});
    return absl::InternalError(absl::StrCat(op, ": database error"));
  } catch (const std::exception& e) {
    LogError("database call failed", {{"op", std::string(op)}, {"error", e.what()}});
    return absl::InternalError(absl::StrCat(op, ": database error"));
  }
}

bool IsTransientDatabaseError(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsAborted(s) || absl::IsDeadlineExceeded(s) ||
         absl::IsResourceExhausted(s);
}

absl::Status Connect(const std::string& url, std::unique_ptr<pqxx::connection>* out) {
  try {
    *out = std::make_unique<pqxx::connection>(url);
    return absl::OkStatus();
  } catch (const std::exception& e) {
    LogWarning("cannot connect to database", {{"error", e.what()}});
    return absl::UnavailableError("database unavailable, retry later");
  }
}

DatabaseProbe::DatabaseProbe(const std::string& url)
    : url_(absl::StrCat(
          url, absl::StrContains(url, "://") ? (absl::StrContains(url, "?") ? "&" : "?") : " ",
          "connect_timeout=2")) {}

DatabaseProbe::~DatabaseProbe() = default;

absl::Status DatabaseProbe::Check() {
  try {
    if (conn_ == nullptr || !LooksAlive(*conn_)) {
      conn_.reset();
      conn_ = std::make_unique<pqxx::connection>(url_);
    }
    pqxx::nontransaction(*conn_).exec("SELECT 1");
    return absl::OkStatus();
  } catch (const std::exception&) {
    conn_.reset();
    return absl::UnavailableError("database unreachable");
  }
}

PgPool::PgPool(Options options) : options_(std::move(options)) {}

PgPool::~PgPool() = default;

void PgPool::Prepare(std::string name, std::string sql) {
  MutexLock lock(&mu_);
  for (const Statement& st : statements_) {
    if (st.name == name) return;
  }
  statements_.push_back({std::move(name), std::move(sql)});
}

void PgPool::PrepareStatements(Connection& c) {
  std::vector<Statement> missing;
  {
    MutexLock lock(&mu_);
    missing.assign(statements_.begin() + static_cast<ptrdiff_t>(c.prepared), statements_.end());
  }
  for (const Statement& st : missing) {
    c.conn->prepare(st.name, st.sql);
    ++c.prepared;
  }
}

absl::Status PgPool::Run(absl::string_view op,
                         absl::FunctionRef<absl::Status(pqxx::connection&)> fn) {
  Connection c;
  {
    MutexLock lock(&mu_);
    auto free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || in_use_ < options_.size;
    };
    if (!mu_.AwaitWithTimeout(free, options_.acquire_timeout)) {
      return absl::UnavailableError("all database connections busy, retry later");
    }
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    }
    ++in_use_;
  }

  absl::Status status;
  if (c.conn == nullptr || !LooksAlive(*c.conn)) {
    c = Connection();
    status = Connect(options_.url, &c.conn);
    if (status.ok() && !options_.on_connect.empty()) {
      try {
        pqxx::nontransaction(*c.conn).exec(options_.on_connect);
      } catch (...) {
        status = MapPqxxException(op);
        c.conn.reset();
      }
    }
  }
  if (status.ok()) {
    try {
      PrepareStatements(c);
      status = fn(*c.conn);
    } catch (...) {
      status = MapPqxxException(op);
    }
  }
  bool keep = c.conn != nullptr && c.conn->is_open() && !absl::IsUnavailable(status);

  MutexLock lock(&mu_);
  --in_use_;
  if (keep) {
    idle_.push_back(std::move(c));
  } else if (absl::IsUnavailable(status)) {
    // The server probably went away: every idle connection is suspect.
    idle_.clear();
  }
  return status;
}

}  // namespace argus
