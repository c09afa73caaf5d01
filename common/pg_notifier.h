#ifndef ARGUS_COMMON_PG_NOTIFIER_H_
#define ARGUS_COMMON_PG_NOTIFIER_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
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
  ~PgNotifier();  // sends what was poked, then stops

  PgNotifier(const PgNotifier&) = delete;
  PgNotifier& operator=(const PgNotifier&) = delete;

  void Poke();

 private:
  void Loop();

  PgPool pool_;
  const std::string channel_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool poked_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace argus

#endif  // ARGUS_COMMON_PG_NOTIFIER_H_
