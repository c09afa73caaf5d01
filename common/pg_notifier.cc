#include "common/pg_notifier.h"

#include <pqxx/pqxx>

#include "common/log.h"

namespace argus {

PgNotifier::PgNotifier(const std::string& url, std::string channel)
    : pool_({.url = url, .size = 1}), channel_(std::move(channel)) {
  thread_ = std::thread([this] { Loop(); });
}

PgNotifier::~PgNotifier() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
}

void PgNotifier::Poke() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    poked_ = true;
  }
  cv_.notify_one();
}

void PgNotifier::Loop() {
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return poked_ || stopping_; });
      if (!poked_) return;
      poked_ = false;
    }
    absl::Status s = pool_.Run("notify", [&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      tx.exec_params("SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')",
                     channel_);
      return absl::OkStatus();
    });
    if (!s.ok()) {
      LogWarning("NOTIFY failed; listeners will find the work by polling",
                 {{"channel", channel_}, {"error", std::string(s.message())}});
    }
  }
}

}  // namespace argus
