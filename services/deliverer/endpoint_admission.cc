#include "services/deliverer/endpoint_admission.h"

#include <algorithm>

namespace argus {

int EndpointAdmission::Limit(const std::string& endpoint_id) const {
  auto it = reduced_limits_.find(endpoint_id);
  return it == reduced_limits_.end() ? options_.per_endpoint_in_flight : it->second;
}

void EndpointAdmission::Add(ClaimedDelivery d) {
  Lane& lane = lanes_[d.endpoint_id];
  if (lane.waiting.empty() && lane.in_flight == 0) lane.limit = Limit(d.endpoint_id);
  lane.waiting.push_back(std::move(d));
  ++waiting_;
  if (lane.limit < options_.per_endpoint_in_flight) ReleaseExcess(lane);
}

void EndpointAdmission::ReleaseExcess(Lane& lane) {
  while (lane.held() > lane.limit && !lane.waiting.empty()) {
    released_.push_back(lane.waiting.back().delivery_id);
    slow_.insert(lane.waiting.back().endpoint_id);
    lane.waiting.pop_back();
    --waiting_;
  }
}

EndpointAdmission::Ready EndpointAdmission::TakeReady() {
  Ready ready;
  absl::Time now = clock_->Now();
  for (auto it = lanes_.begin(); it != lanes_.end();) {
    Lane& lane = it->second;
    while (!lane.waiting.empty() && lane.in_flight < lane.limit) {
      ClaimedDelivery d = std::move(lane.waiting.front());
      lane.waiting.pop_front();
      --waiting_;
      if (now > d.claimed_at + options_.send_window) {
        ready.expired.push_back(d.delivery_id);
        continue;
      }
      ++lane.in_flight;
      ++sending_;
      ready.send.push_back(std::move(d));
    }
    if (lane.waiting.empty() && lane.in_flight == 0) {
      lanes_.erase(it++);
    } else {
      ++it;
    }
  }
  return ready;
}

void EndpointAdmission::Finished(const std::string& endpoint_id, Answer answer) {
  auto it = lanes_.find(endpoint_id);
  if (it == lanes_.end()) return;  // not ours: nothing to count
  Lane& lane = it->second;
  --lane.in_flight;
  --sending_;
  if (answer == Answer::kSlow) {
    reduced_limits_[endpoint_id] = lane.limit = 1;
    ReleaseExcess(lane);
    slow_.insert(endpoint_id);  // its backlog too, even with nothing waiting here
  } else if (answer == Answer::kAnswered) {
    lane.limit = std::min(options_.per_endpoint_in_flight, lane.limit * 2);
    if (lane.limit == options_.per_endpoint_in_flight) {
      reduced_limits_.erase(endpoint_id);
    } else {
      reduced_limits_[endpoint_id] = lane.limit;
    }
  }
  if (lane.saturated_at_claim && lane.held() < lane.limit) {
    claim_wanted_ = true;
  }
}

std::vector<std::string> EndpointAdmission::Saturated() {
  claim_wanted_ = false;
  std::vector<std::string> out;
  for (auto& [id, lane] : lanes_) {
    lane.saturated_at_claim = lane.held() >= lane.limit;
    if (lane.saturated_at_claim) out.push_back(id);
  }
  return out;
}

bool EndpointAdmission::FullBatchFor(const std::vector<std::string>& endpoint_ids) {
  bool room = false;
  for (const std::string& id : endpoint_ids) {
    auto it = lanes_.find(id);
    if (it == lanes_.end()) continue;
    Lane& lane = it->second;
    bool full = lane.held() >= lane.limit;
    lane.saturated_at_claim = lane.saturated_at_claim || full;
    room = room || !full;
  }
  return room;
}

std::vector<std::string> EndpointAdmission::TakeReleased() {
  std::vector<std::string> out;
  out.swap(released_);
  return out;
}

std::vector<std::string> EndpointAdmission::TakeSlow() {
  std::vector<std::string> out(slow_.begin(), slow_.end());
  slow_.clear();
  return out;
}

std::vector<std::string> EndpointAdmission::TakeAllWaiting() {
  std::vector<std::string> ids;
  for (auto& [endpoint, lane] : lanes_) {
    for (const ClaimedDelivery& d : lane.waiting) ids.push_back(d.delivery_id);
    lane.waiting.clear();
  }
  waiting_ = 0;
  lanes_.clear();
  return ids;
}

}  // namespace argus
