#include "common/pg_listener.h"

#include <pqxx/pqxx>

#include "absl/time/clock.h"
#include "common/log.h"

namespace argus {
namespace {

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection& conn, const std::string& channel,
           const std::function<void(const std::string&)>& on_notify)
      : pqxx::notification_receiver(conn, channel), on_notify_(on_notify) {}
  void operator()(const std::string& payload, int) override { on_notify_(payload); }

 private:
  const std::function<void(const std::string&)>& on_notify_;
};

}  // namespace

PgListener::PgListener(std::string database_url, std::string channel,
                       std::function<void(const std::string&)> on_notify,
                       std::function<void()> on_connected)
    : database_url_(std::move(database_url)),
      channel_(std::move(channel)),
      on_notify_(std::move(on_notify)),
      on_connected_(std::move(on_connected)),
      thread_([this] { Run(); }) {}

PgListener::~PgListener() {
  stop_ = true;
  thread_.join();
}

void PgListener::Run() {
  while (!stop_) {
    try {
      pqxx::connection conn(database_url_);
      Receiver receiver(conn, channel_, on_notify_);
      on_connected_();
      while (!stop_) conn.await_notification(0, 250000);
    } catch (const std::exception& e) {
      LogWarning("listener reconnecting", {{"channel", channel_}, {"error", e.what()}});
      for (int i = 0; i < 10 && !stop_; ++i) absl::SleepFor(absl::Milliseconds(100));
    }
  }
}

}  // namespace argus
