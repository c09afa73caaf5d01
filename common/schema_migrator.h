#ifndef ARGUS_COMMON_SCHEMA_MIGRATOR_H_
#define ARGUS_COMMON_SCHEMA_MIGRATOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace argus {

struct Migration {
  int version;
  absl::string_view name;
  absl::string_view sql;
};

// deploy/migrations/*.sql, compiled in, in version order.
const std::vector<Migration>& EmbeddedMigrations();

// Applies, in order, every migration whose version is not yet recorded in
// schema_migrations, each in its own transaction, all under a session
// advisory lock: running it twice, or twice at once, is harmless. Returns how
// many were applied. UNAVAILABLE when the database cannot be reached;
// INTERNAL (with the migration named) when one fails, which is rolled back.
absl::StatusOr<int> ApplyMigrations(const std::string& database_url,
                                    const std::vector<Migration>& migrations);

}  // namespace argus

#endif  // ARGUS_COMMON_SCHEMA_MIGRATOR_H_
