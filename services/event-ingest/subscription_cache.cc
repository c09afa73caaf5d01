#include "services/event-ingest/subscription_cache.h"

#include "common/event_types.h"

namespace argus {

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
  MutexLock lock(&mu_);
  auto it = by_org_.find(org_id);
  return it == by_org_.end() ? nullptr : it->second;
}

void SubscriptionCache::Put(const std::string& org_id, OrgSubscriptions subs) {
  auto entry = std::make_shared<const OrgSubscriptions>(std::move(subs));
  MutexLock lock(&mu_);
  by_org_[org_id] = std::move(entry);
}

void SubscriptionCache::Evict(const std::string& org_id) {
  MutexLock lock(&mu_);
  by_org_.erase(org_id);
}

void SubscriptionCache::Clear() {
  MutexLock lock(&mu_);
  by_org_.clear();
}

SubscriptionInvalidator::SubscriptionInvalidator(std::string database_url, SubscriptionCache* cache)
    : listener_(
          std::move(database_url), "argus_endpoints",
          [cache](const std::string& org_id) { cache->Evict(org_id); },
          [cache] { cache->Clear(); }) {}

}  // namespace argus
