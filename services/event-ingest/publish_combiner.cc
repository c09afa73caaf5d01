#include "services/event-ingest/publish_combiner.h"

namespace argus {

void PublishCombiner::Publish(const std::string& org_id, std::vector<NewEvent> events,
                              DoneFn done) {
  std::vector<std::unique_ptr<Call>> calls;
  size_t bytes = 0;
  for (const NewEvent& e : events) bytes += e.payload_json.size();
  calls.push_back(std::make_unique<Call>(Call{std::move(events), std::move(done), bytes}));
  {
    MutexLock lock(&mu_);
    OrgQueue& queue = orgs_[org_id];
    if (queue.writers >= max_writers_) {  // the next write takes this call
      queue.waiting.push_back(std::move(calls.front()));
      return;
    }
    ++queue.writers;
  }
  // This thread writes for the org until nothing is queued.
  for (;;) {
    std::vector<Outcomes> results = Write(org_id, calls);
    std::vector<std::unique_ptr<Call>> next;
    {
      MutexLock lock(&mu_);
      auto it = orgs_.find(org_id);
      std::deque<std::unique_ptr<Call>>& waiting = it->second.waiting;
      if (waiting.empty()) {
        if (--it->second.writers == 0) orgs_.erase(it);
      } else {
        size_t total = 0;
        size_t total_bytes = 0;
        while (!waiting.empty() &&
               (next.empty() || (total + waiting.front()->events.size() <= max_events_ &&
                                 total_bytes + waiting.front()->bytes <= max_bytes_))) {
          total += waiting.front()->events.size();
          total_bytes += waiting.front()->bytes;
          next.push_back(std::move(waiting.front()));
          waiting.pop_front();
        }
      }
    }
    // Answered only now, with nothing of this object touched afterwards
    // when nothing is next: the last answer may end the last call, and with
    // it this object's owner.
    for (size_t i = 0; i < calls.size(); ++i) calls[i]->done(std::move(results[i]));
    if (next.empty()) return;
    calls = std::move(next);
  }
}

std::vector<PublishCombiner::Outcomes> PublishCombiner::Write(
    const std::string& org_id, const std::vector<std::unique_ptr<Call>>& calls) {
  std::vector<Outcomes> results;
  if (calls.size() > 1) {
    std::vector<NewEvent> all;
    for (const auto& c : calls) all.insert(all.end(), c->events.begin(), c->events.end());
    Outcomes outcomes = write_(org_id, all);
    if (outcomes.ok()) {
      auto next = outcomes->begin();
      for (const auto& c : calls) {
        auto end = next + static_cast<std::ptrdiff_t>(c->events.size());
        results.emplace_back(std::vector<PublishOutcome>(next, end));
        next = end;
      }
      return results;
    }
  }
  for (const auto& c : calls) results.push_back(write_(org_id, c->events));
  return results;
}

size_t PublishCombiner::Waiting(const std::string& org_id) const {
  MutexLock lock(&mu_);
  auto it = orgs_.find(org_id);
  return it == orgs_.end() ? 0 : it->second.waiting.size();
}

}  // namespace argus
