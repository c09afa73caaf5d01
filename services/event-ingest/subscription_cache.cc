#include "services/event-ingest/subscription_cache.h"

#include "common/channels.h"

namespace argus {

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
          std::move(database_url), kEndpointsChannel,
          [cache](const std::string& org_id) { cache->Evict(org_id); },
          [cache] { cache->Clear(); }) {}

}  // namespace argus
