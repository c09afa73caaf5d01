#include "services/deliverer/dispatcher.h"

#include <algorithm>
#include <bit>
#include <memory>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "services/deliverer/webhook_request.h"

namespace argus {
namespace {

absl::AnyInvocable<double()> UniformJitter() {
  return [rng = absl::BitGen()]() mutable { return absl::Uniform(rng, -1.0, 1.0); };
}

EndpointAdmission::Answer AnswerOf(const HttpResult& result) {
  if (result.error == AttemptError::kTimeout || result.error == AttemptError::kConnect) {
    return EndpointAdmission::Answer::kSlow;
  }
  return result.status_code > 0 ? EndpointAdmission::Answer::kAnswered
                                : EndpointAdmission::Answer::kNone;
}

}  // namespace

Dispatcher::Dispatcher(Options options, Deps deps)
    : options_(std::move(options)),
      queue_(deps.queue),
      sender_(deps.sender),
      secrets_(deps.secrets),
      metrics_(deps.metrics),
      clock_(deps.clock),
      jitter_(deps.jitter ? std::move(deps.jitter) : UniformJitter()),
      admission_(
          {.per_endpoint_in_flight = options_.per_endpoint_in_flight, .send_window = SendWindow()},
          clock_),
      // The head of an ordered endpoint finished: its successor is claimable
      // now, and this replica claims it at once (no waiting for a poll).
      recorder_(options_.replica_id, queue_, metrics_, [this](bool next_in_order) {
        if (next_in_order) {
          Wake();
        } else {
          loop_.Wake();
        }
      }) {
  next_claim_ = next_meter_ = next_expire_ = next_stats_ = clock_->Now();
}

Dispatcher::~Dispatcher() { Drain(); }

void Dispatcher::Start() {
  loop_.Start([this](bool stopping) { return Turn(stopping); });
}

void Dispatcher::Wake() {
  {
    MutexLock lock(&mu_);
    notified_ = true;
  }
  loop_.Wake();
}

void Dispatcher::Drain() {
  {
    MutexLock lock(&mu_);
    status_.draining = true;
  }
  loop_.Stop();
  recorder_.Finish();
}

Dispatcher::Status Dispatcher::GetStatus() {
  MutexLock lock(&mu_);
  return status_;
}

std::optional<absl::Time> Dispatcher::Turn(bool draining) {
  std::deque<FinishedRequest> done;
  bool notified;
  {
    MutexLock lock(&mu_);
    done.swap(finished_);
    notified = notified_;
    notified_ = false;
  }
  std::vector<AttemptRecord> results;
  results.reserve(done.size());
  for (FinishedRequest& f : done) {
    admission_.Finished(f.delivery.endpoint_id, AnswerOf(f.result));
    results.push_back(Decide(std::move(f)));
  }
  recorder_.Add(std::move(results));
  GiveBack({});

  absl::Time now = clock_->Now();
  // At capacity, a claim waits for room: finished requests wake the loop,
  // and a wake heard meanwhile makes the claim due at once.
  bool room = Capacity() > 0;
  if (notified && !room) next_claim_ = now;
  if (!draining && room && (notified || now >= next_claim_ || admission_.ClaimWanted())) {
    ClaimMore(now);
  }
  // Draining, nothing new goes on the wire: what waits is given back.
  EndpointAdmission::Ready ready;
  if (!draining) {
    ready = admission_.TakeReady();
    for (ClaimedDelivery& d : ready.send) Send(std::move(d));
    GiveBack(std::move(ready.expired));
  }
  Periodic(now);
  {
    MutexLock lock(&mu_);
    status_.in_flight = admission_.sending();
    status_.claimed = admission_.sending() + admission_.waiting();
  }
  metrics_->InFlight(admission_.sending());

  if (draining && admission_.sending() == 0) {
    std::vector<std::string> unsent = admission_.TakeAllWaiting();
    if (!unsent.empty()) {
      LogInfo("giving back unsent deliveries", {{"count", absl::StrCat(unsent.size())}});
    }
    GiveBack(std::move(unsent));
    return std::nullopt;
  }
  if (draining) return now + absl::Milliseconds(50);
  bool full = Capacity() <= 0;
  return std::min(
      {full ? absl::InfiniteFuture() : next_claim_, next_meter_, next_expire_, next_stats_});
}

int Dispatcher::Capacity() const {
  return options_.max_in_flight - admission_.sending() - admission_.waiting() - recorder_.Pending();
}

absl::Duration Dispatcher::SendWindow() const {
  return options_.lease - options_.request_timeout - options_.lease / 4;
}

void Dispatcher::GiveBack(std::vector<std::string> ids) {
  std::vector<std::string> released = admission_.TakeReleased();
  ids.insert(ids.end(), std::make_move_iterator(released.begin()),
             std::make_move_iterator(released.end()));
  if (!ids.empty()) {
    if (absl::Status s = queue_->Release(options_.replica_id, ids); !s.ok()) {
      LogWarning("giving back unsent deliveries failed; their leases will expire",
                 {{"error", std::string(s.message())}});
    }
  }
  // A slow endpoint's backlog waits one request timeout: its probe decides.
  for (const std::string& endpoint : admission_.TakeSlow()) {
    if (absl::Status s = queue_->Defer(endpoint, options_.request_timeout); !s.ok()) {
      LogWarning("deferring deliveries of a slow endpoint failed",
                 {{"endpoint", endpoint}, {"error", std::string(s.message())}});
    }
  }
}

void Dispatcher::ClaimMore(absl::Time now) {
  int capacity = Capacity();
  next_claim_ = now + options_.poll_interval;
  // Endpoints that can take no more get nothing until they can: one slow
  // endpoint cannot fill this replica with work it cannot send.
  std::vector<std::string> saturated = admission_.Saturated();
  // A full batch, or with less room the largest power of two that fits:
  // each limit is a prepared statement of its own (DeliveryStore::Claim).
  int limit = capacity >= options_.claim_batch
                  ? options_.claim_batch
                  : static_cast<int>(std::bit_floor(static_cast<unsigned>(capacity)));
  absl::StatusOr<std::vector<ClaimedDelivery>> claimed =
      queue_->Claim(options_.replica_id, limit, options_.lease, saturated);
  if (!claimed.ok()) {
    LogWarning("claim failed", {{"error", std::string(claimed.status().message())}});
    metrics_->ClaimFailed();
    return;
  }
  bool full_batch = static_cast<int>(claimed->size()) == limit;
  std::vector<std::string> endpoints;
  for (ClaimedDelivery& d : *claimed) {
    d.claimed_at = now;  // before the claim ran: the lease ends no earlier than now + lease
    endpoints.push_back(d.endpoint_id);
    admission_.Add(std::move(d));
  }
  // A full batch means more is probably due: claim again right away, unless
  // every lane it went to is full now. That claim would skip them, reading
  // their whole due backlog to find nothing (scenario a1, one endpoint with
  // 600,000 due: claims took 35 ms on average, this loop stalled meanwhile);
  // they ask for the next claim themselves as they drain (ClaimWanted).
  if (full_batch && admission_.FullBatchFor(endpoints)) next_claim_ = now;
  GiveBack({});
}

void Dispatcher::Send(ClaimedDelivery d) {
  WebhookRequest req = BuildWebhookRequest(d, *secrets_, clock_->Now());
  req.http.timeout = options_.request_timeout;
  if (!req.error.empty()) {
    LogError("cannot sign delivery", {{"delivery", d.delivery_id}, {"endpoint", d.endpoint_id}});
    FinishedRequest f{std::move(d), std::move(req.logged_headers), {}, {}};
    f.result.error = AttemptError::kSigning;
    f.result.body = std::move(req.error);
    f.result.started = clock_->Now();
    Finish(std::move(f));
    return;
  }
  // A few bytes past the cap, so the record cuts it at a character boundary.
  auto pending = std::make_shared<FinishedRequest>(
      FinishedRequest{std::move(d),
                      std::move(req.logged_headers),
                      req.http.body.substr(0, kMaxResponseBodyBytes + 4),
                      {}});
  sender_->Send(std::move(req.http), [this, pending](HttpResult result) {
    pending->result = std::move(result);
    Finish(std::move(*pending));
  });
}

void Dispatcher::Finish(FinishedRequest f) {
  {
    MutexLock lock(&mu_);
    finished_.push_back(std::move(f));
  }
  loop_.Wake();
}

AttemptRecord Dispatcher::Decide(FinishedRequest f) {
  absl::Time now = clock_->Now();
  std::string format(FormatName(f.delivery.endpoint->format));
  absl::Time created = f.delivery.event.created;
  AttemptOutcomeDecision d = DecideAttempt(std::move(f), now, jitter_());
  const AttemptRecord& r = d.record;
  metrics_->Attempt(d.metric_result, format, absl::ToDoubleSeconds(r.duration));
  if (r.verdict == DeliveryVerdict::kSucceeded) {
    metrics_->Finished("succeeded");
    metrics_->EndToEnd(absl::ToDoubleSeconds(now - created));
    MutexLock lock(&mu_);
    ++status_.delivered;
  } else if (r.verdict == DeliveryVerdict::kFailed) {
    metrics_->Finished("failed");
  } else {
    // Our own retries are the ones we know to be due then.
    next_claim_ = std::min(next_claim_, r.next_attempt_at);
  }
  if (r.disable_endpoint) {
    LogWarning("endpoint disabled", {{"endpoint", r.endpoint_id}, {"reason", r.disable_reason}});
  }
  if (r.pause_endpoint) {
    LogWarning("ordered endpoint paused",
               {{"endpoint", r.endpoint_id}, {"reason", r.pause_reason}});
  }
  return std::move(d.record);
}

void Dispatcher::Periodic(absl::Time now) {
  if (now >= next_meter_) {
    // Twice per bucket: a bucket holds a tenth of a second's worth (and one).
    next_meter_ = now + absl::Milliseconds(50);
    absl::StatusOr<int64_t> released = queue_->ReleaseMetered();
    if (!released.ok()) {
      LogWarning("releasing rate-limited deliveries failed",
                 {{"error", std::string(released.status().message())}});
    } else if (*released > 0) {
      next_claim_ = now;
    }
  }
  if (now >= next_expire_) {
    next_expire_ = now + std::max(absl::Seconds(1), options_.lease / 4);
    absl::StatusOr<ExpiredLeases> expired = queue_->ExpireLeases();
    if (expired.ok() && expired->returned > 0) {
      LogInfo("expired leases returned to pending", {{"count", absl::StrCat(expired->returned)}});
      next_claim_ = now;
    }
    // A kept poison head (ordered, pausing on failure) is an attempt, not
    // a finished delivery.
    auto count_poison = [&](const std::vector<int>& formats, const char* message, bool finished) {
      if (formats.empty()) return;
      LogError(message, {{"count", absl::StrCat(formats.size())}});
      for (int format : formats) {
        metrics_->Attempt(std::string(AttemptErrorTag(AttemptError::kPoison)),
                          std::string(FormatName(FormatFromInt(format))), 0);
        if (finished) metrics_->Finished("failed");
      }
    };
    if (expired.ok()) {
      count_poison(expired->poisoned_formats,
                   "deliveries quarantined as poison: claimed again and again without a result",
                   true);
      count_poison(expired->kept_poison_formats,
                   "ordered endpoints paused: their head delivery is poison (kept, not skipped)",
                   false);
    }
  }
  if (now >= next_stats_) {
    next_stats_ = now + absl::Seconds(2);
    // Five passes' worth: a reporter that stops is replaced within 10 s.
    absl::StatusOr<QueueStats> stats = queue_->Stats(options_.replica_id, absl::Seconds(10));
    // A pass that failed cannot tell whether the lease is still ours (another
    // replica takes it once it expires): export nothing rather than stale
    // numbers that would then be counted twice.
    if (stats.ok() && stats->reporter) {
      metrics_->QueueDepth(static_cast<double>(stats->pending),
                           static_cast<double>(stats->in_flight),
                           absl::ToDoubleSeconds(stats->oldest_due_age));
      metrics_->FailingEndpoints(stats->failing_endpoints_by_org);
    } else {
      metrics_->NoQueueDepth();
    }
    if (stats.ok()) {
      MutexLock lock(&mu_);
      status_.lag = stats->oldest_due_age;
    }
  }
}

}  // namespace argus
