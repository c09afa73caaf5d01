#include "services/event-ingest/subscription_cache.h"

#include <pqxx/pqxx>

#include "absl/time/clock.h"
#include "common/event_types.h"
#include "common/log.h"

namespace argus {
namespace {

constexpr char kChannel[] = "argus_endpoints";

class Evictor : public pqxx::notification_receiver {
 public:
  Evictor(pqxx::connection& conn, SubscriptionCache* cache)
      : pqxx::notification_receiver(conn, kChannel), cache_(cache) {}
  void operator()(const std::string& payload, int) override { cache_->Evict(payload); }

 private:
  SubscriptionCache* cache_;
};

}  // namespace

std::vector<std::string> MatchSubscribers(const OrgSubscriptions& subs, absl::string_view type,
                                          absl::string_view project) {
  std::vector<std::string> ids;
  for (const Subscription& s : subs.subscriptions) {
    if (!s.project.empty() && s.project != project) continue;
    if (AnyEventTypeMatches(s.event_types, type)) ids.push_back(s.endpoint_id);
  }
  return ids;
}

std::shared_ptr<const OrgSubscriptions> SubscriptionCache::Get(const std::string& org_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = by_org_.find(org_id);
  return it == by_org_.end() ? nullptr : it->second;
}

void SubscriptionCache::Put(const std::string& org_id, OrgSubscriptions subs) {
  auto entry = std::make_shared<const OrgSubscriptions>(std::move(subs));
  std::lock_guard<std::mutex> lock(mu_);
  by_org_[org_id] = std::move(entry);
}

void SubscriptionCache::Evict(const std::string& org_id) {
  std::lock_guard<std::mutex> lock(mu_);
  by_org_.erase(org_id);
}

void SubscriptionCache::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  by_org_.clear();
}

SubscriptionInvalidator::SubscriptionInvalidator(std::string database_url,
                                                 SubscriptionCache* cache)
    : database_url_(std::move(database_url)), cache_(cache), thread_([this] { Run(); }) {}

SubscriptionInvalidator::~SubscriptionInvalidator() {
  stop_ = true;
  thread_.join();
}

void SubscriptionInvalidator::Run() {
  while (!stop_) {
    try {
      pqxx::connection conn(database_url_);
      Evictor evictor(conn, cache_);
      // Changes made while we were not listening were missed: start clean.
      cache_->Clear();
      while (!stop_) conn.await_notification(0, 250000);
    } catch (const std::exception& e) {
      cache_->Clear();
      LogWarning("endpoint change listener reconnecting", {{"error", e.what()}});
      for (int i = 0; i < 10 && !stop_; ++i) absl::SleepFor(absl::Milliseconds(100));
    }
  }
}

}  // namespace argus
