#ifndef ARGUS_COMMON_PG_PREPARED_H_
#define ARGUS_COMMON_PG_PREPARED_H_

#include <pqxx/pqxx>
#include <string>
#include <utility>

namespace argus {

// Runs `sql` as the prepared statement `name` of the transaction's
// connection: parsed once per connection instead of on every call, and
// planned once PostgreSQL settles on a generic plan (after five runs). For
// the hot statements; the first use on a connection prepares it.
template <typename... Args>
pqxx::result ExecPrepared(pqxx::transaction_base& tx, const std::string& name, const char* sql,
                          Args&&... args) {
  tx.conn().prepare(name, sql);  // no-op when already defined the same way
  return tx.exec_prepared(name, std::forward<Args>(args)...);
}

}  // namespace argus

#endif  // ARGUS_COMMON_PG_PREPARED_H_
