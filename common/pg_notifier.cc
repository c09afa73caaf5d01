#include "common/pg_notifier.h"

#include <pqxx/pqxx>

#include "common/log.h"

namespace argus {

PgNotifier::PgNotifier(const std::string& url, std::string channel)
    : pool_({.url = url, .size = 1}), channel_(std::move(channel)) {
  loop_.Start([this](bool stopping) { return Turn(stopping); });
}

void PgNotifier::Poke() {
  poked_ = true;
  loop_.Wake();
}

std::optional<absl::Time> PgNotifier::Turn(bool stopping) {
  if (poked_.exchange(false)) {
    absl::Status s = pool_.Exec("notify", [&](pqxx::nontransaction& tx) {
      tx.exec_params("SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, '')",
                     channel_);
      return absl::OkStatus();
    });
    if (!s.ok()) {
      LogWarning("NOTIFY failed; listeners will find the work by polling",
                 {{"channel", channel_}, {"error", std::string(s.message())}});
    }
  }
  if (stopping && !poked_) return std::nullopt;
  return absl::InfiniteFuture();
}

}  // namespace argus
