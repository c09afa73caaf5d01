#ifndef ARGUS_COMMON_PG_LISTENER_H_
#define ARGUS_COMMON_PG_LISTENER_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>

namespace argus {

// LISTENs on one PostgreSQL channel with a connection (and thread) of its
// own. `on_notify` gets each payload. `on_connected` runs every time the
// listen starts, first time and after each reconnect: notifications sent
// while not listening are lost, so callers resync there. Reconnects every
// second while the database is away.
class PgListener {
 public:
  PgListener(std::string database_url, std::string channel,
             std::function<void(const std::string& payload)> on_notify,
             std::function<void()> on_connected);
  ~PgListener();  // stops and joins

  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

 private:
  void Run();

  const std::string database_url_;
  const std::string channel_;
  const std::function<void(const std::string&)> on_notify_;
  const std::function<void()> on_connected_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace argus

#endif  // ARGUS_COMMON_PG_LISTENER_H_
