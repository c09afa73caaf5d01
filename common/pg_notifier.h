#ifndef ARGUS_COMMON_PG_NOTIFIER_H_
#define ARGUS_COMMON_PG_NOTIFIER_H_

#include <atomic>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "common/background_loop.h"
#include "common/pg_pool.h"

namespace argus {

// Sends NOTIFY on `channel` after Poke(), from a connection of its own,
// outside the callers' transactions. Pokes that arrive while a NOTIFY is
// being sent are folded into one more: under load, one NOTIFY wakes the
// listeners for many commits.
//
// Why not NOTIFY inside the writing transaction: PostgreSQL holds a
// cluster-wide lock from a notifying transaction's pre-commit through its
// WAL flush, so notifying publishers commit one at a time (measured: 640
// publishes/s, bench/README.md). This NOTIFY commits asynchronously
// (synchronous_commit off): a wake-up need not be durable, the data it
// announces already is. A NOTIFY that fails is logged; listeners also poll.
class PgNotifier {
 public:
  PgNotifier(const std::string& url, std::string channel);
  ~PgNotifier() { loop_.Stop(); }  // sends what was poked, then stops

  PgNotifier(const PgNotifier&) = delete;
  PgNotifier& operator=(const PgNotifier&) = delete;

  void Poke();

 private:
  std::optional<absl::Time> Turn(bool stopping);

  PgPool pool_;
  const std::string channel_;
  std::atomic<bool> poked_{false};
  BackgroundLoop loop_;
};

}  // namespace argus

#endif  // ARGUS_COMMON_PG_NOTIFIER_H_
