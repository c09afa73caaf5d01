#include "services/deliverer/dispatcher.h"

#include <algorithm>
#include <bit>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/sealed_headers.h"
#include "common/signing.h"
#include "common/webhook_payloads.h"

namespace argus {
namespace {

const char* FormatName(int format) {
  switch (format) {
    case 2:
      return "slack";
    case 3:
      return "discord";
    default:
      return "native";
  }
}

// Metrics know fewer results than the delivery log: a refused connection is
// a network failure there.
std::string MetricResult(const std::string& tag) {
  if (tag == "connect" || tag == "signing") return "network";
  return tag;
}

}  // namespace

Dispatcher::Dispatcher(Options options, DeliveryStore* store, HttpSender* sender,
                       const SecretBox* secrets, DelivererMetrics* metrics,
                       std::string database_url)
    : options_(std::move(options)),
      store_(store),
      sender_(sender),
      secrets_(secrets),
      metrics_(metrics),
      database_url_(std::move(database_url)),
      recorder_(options_.replica_id, store, metrics, [this] { Written(); }) {}

Dispatcher::~Dispatcher() {
  Drain();
  listener_.reset();
}

void Dispatcher::Start() {
  absl::Time now = absl::Now();
  next_claim_ = next_expire_ = next_stats_ = now;
  loop_ = std::thread([this] { Loop(); });
  // On (re)connect, claim at once: anything published meanwhile went unheard.
  listener_ = std::make_unique<PgListener>(
      database_url_, "argus_deliveries", [this](const std::string&) { Wake(); },
      [this] { Wake(); });
}

void Dispatcher::Drain() {
  draining_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    status_.draining = true;
  }
  Wake();
  if (loop_.joinable()) loop_.join();
  recorder_.Finish();
}

Dispatcher::Status Dispatcher::GetStatus() {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void Dispatcher::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Dispatcher::Written() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    written_ = true;
  }
  cv_.notify_one();
}

void Dispatcher::Loop() {
  for (;;) {
    std::deque<Completion> done;
    bool woken;
    {
      std::lock_guard<std::mutex> lock(mu_);
      done.swap(completions_);
      woken = woken_;
      woken_ = false;
      written_ = false;  // only wakes the loop: room may have come back
    }
    std::vector<AttemptRecord> results;
    for (Completion& c : done) {
      Completed(c);
      results.push_back(Decide(c));
    }
    recorder_.Add(std::move(results));
    ReleaseUnneeded();

    absl::Time now = absl::Now();
    bool draining = draining_;
    // At capacity, a claim waits for room: completions wake the loop, and a
    // NOTIFY heard meanwhile makes the claim due at once.
    bool room = Capacity() > 0;
    if (woken && !room) next_claim_ = now;
    if (!draining && room && (woken || now >= next_claim_)) ClaimMore(now);
    absl::Time next_send = DispatchReady(now);
    ReleaseUnneeded();  // what DispatchReady found too late to send
    Periodic(now);
    {
      std::lock_guard<std::mutex> lock(mu_);
      status_.in_flight = sending_;
      status_.claimed = sending_ + waiting_;
    }
    metrics_->InFlight(sending_);

    if (draining && sending_ == 0) {
      ReleaseWaiting();
      return;
    }
    bool full = Capacity() <= 0;
    absl::Time wake_at = std::min(
        {full ? absl::InfiniteFuture() : next_claim_, next_send, next_expire_, next_stats_});
    if (draining) wake_at = now + absl::Milliseconds(50);
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, absl::ToChronoTime(wake_at),
                   [this] { return woken_ || written_ || !completions_.empty(); });
  }
}

int Dispatcher::Capacity() const {
  return options_.max_in_flight - sending_ - waiting_ - recorder_.Pending();
}

absl::Duration Dispatcher::SendWindow() const {
  return options_.lease - options_.request_timeout - options_.lease / 4;
}

int Dispatcher::EndpointLimit(const std::string& endpoint_id) const {
  auto it = reduced_limits_.find(endpoint_id);
  return it == reduced_limits_.end() ? options_.per_endpoint_in_flight : it->second;
}

void Dispatcher::Completed(const Completion& c) {
  const std::string& endpoint = c.delivery.endpoint_id;
  Lane& lane = lanes_[endpoint];
  --lane.in_flight;
  --sending_;
  if (c.result.error == "timeout" || c.result.error == "connect") {
    reduced_limits_[endpoint] = lane.limit = 1;
    ReleaseExcess(lane);
    slow_.insert(endpoint);  // its backlog too, even with nothing waiting here
  } else if (c.result.status_code > 0) {
    lane.limit = std::min(options_.per_endpoint_in_flight, lane.limit * 2);
    if (lane.limit == options_.per_endpoint_in_flight) {
      reduced_limits_.erase(endpoint);
    } else {
      reduced_limits_[endpoint] = lane.limit;
    }
  }
}

void Dispatcher::ReleaseExcess(Lane& lane) {
  while (lane.in_flight + static_cast<int>(lane.waiting.size()) > lane.limit &&
         !lane.waiting.empty()) {
    unneeded_.push_back(lane.waiting.back().delivery_id);
    slow_.insert(lane.waiting.back().endpoint_id);
    lane.waiting.pop_back();
    --waiting_;
  }
}

void Dispatcher::ReleaseUnneeded() {
  if (!unneeded_.empty()) {
    if (absl::Status s = store_->Release(options_.replica_id, unneeded_); !s.ok()) {
      LogWarning("releasing deliveries of a slow endpoint failed; their leases will expire",
                 {{"error", std::string(s.message())}});
    }
    unneeded_.clear();
  }
  // A slow endpoint's backlog waits one request timeout: its probe decides.
  for (const std::string& endpoint : slow_) {
    if (absl::Status s = store_->Defer(endpoint, options_.request_timeout); !s.ok()) {
      LogWarning("deferring deliveries of a slow endpoint failed",
                 {{"endpoint", endpoint}, {"error", std::string(s.message())}});
    }
  }
  slow_.clear();
}

void Dispatcher::ClaimMore(absl::Time now) {
  int capacity = Capacity();
  next_claim_ = now + options_.poll_interval;
  // Endpoints with a full local queue get nothing more until it drains: one
  // slow endpoint cannot fill this replica with work it cannot send.
  std::vector<std::string> saturated;
  for (const auto& [id, lane] : lanes_) {
    if (lane.in_flight + static_cast<int>(lane.waiting.size()) >= lane.limit) {
      saturated.push_back(id);
    }
  }
  // A full batch, or with less room the largest power of two that fits:
  // each limit is a prepared statement of its own (DeliveryStore::Claim).
  int limit = capacity >= options_.claim_batch
                  ? options_.claim_batch
                  : static_cast<int>(std::bit_floor(static_cast<unsigned>(capacity)));
  absl::StatusOr<std::vector<ClaimedDelivery>> claimed =
      store_->Claim(options_.replica_id, limit, options_.lease, saturated);
  if (!claimed.ok()) {
    LogWarning("claim failed", {{"error", std::string(claimed.status().message())}});
    metrics_->ClaimFailed();
    return;
  }
  // A full batch means more is probably due: claim again right away.
  if (static_cast<int>(claimed->size()) == limit) next_claim_ = now;
  for (ClaimedDelivery& d : *claimed) {
    d.claimed_at = now;  // before the claim ran: the lease ends no earlier than now + lease
    Lane& lane = lanes_[d.endpoint_id];
    if (lane.waiting.empty() && lane.in_flight == 0) {
      lane.limit = EndpointLimit(d.endpoint_id);
      lane.tokens = std::max<double>(1, d.rate_limit_per_second);
      lane.refilled = now;
    }
    lane.waiting.push_back(std::move(d));
    ++waiting_;
  }
  for (const auto& [endpoint, limit] : reduced_limits_) {
    if (auto it = lanes_.find(endpoint); it != lanes_.end()) ReleaseExcess(it->second);
  }
  ReleaseUnneeded();
}

absl::Time Dispatcher::DispatchReady(absl::Time now) {
  absl::Time next = absl::InfiniteFuture();
  for (auto it = lanes_.begin(); it != lanes_.end();) {
    Lane& lane = it->second;
    while (!lane.waiting.empty() && lane.in_flight < lane.limit) {
      uint32_t rate = lane.waiting.front().rate_limit_per_second;
      if (rate > 0) {
        lane.tokens =
            std::min<double>(rate, lane.tokens + rate * absl::ToDoubleSeconds(now - lane.refilled));
        lane.refilled = now;
        if (lane.tokens < 1) {
          next = std::min(next, now + absl::Seconds((1 - lane.tokens) / rate));
          break;
        }
        lane.tokens -= 1;
      }
      ClaimedDelivery d = std::move(lane.waiting.front());
      lane.waiting.pop_front();
      --waiting_;
      if (now > d.claimed_at + SendWindow()) {
        // Waited so long here that its lease could run out before the
        // result is written, and another replica would send it too.
        unneeded_.push_back(d.delivery_id);
        continue;
      }
      ++lane.in_flight;
      ++sending_;
      Send(std::move(d));
    }
    if (lane.waiting.empty() && lane.in_flight == 0) {
      lanes_.erase(it++);
    } else {
      ++it;
    }
  }
  return next;
}

void Dispatcher::Send(ClaimedDelivery d) {
  HttpRequest req;
  req.url = d.url;
  req.timeout = options_.request_timeout;
  std::map<std::string, std::string> logged;
  auto add = [&](const std::string& name, const std::string& value, bool log_value) {
    req.headers.push_back(absl::StrCat(name, ": ", value));
    logged[name] = log_value ? value : "[redacted]";
  };
  add("content-type", "application/json", true);
  add("user-agent", "Argus-Webhooks/1", true);
  add("argus-event", d.event.type, true);
  add("argus-delivery", d.event.id, true);
  // Custom headers often carry the receiver's credentials: sent, never logged.
  std::map<std::string, std::string> custom = d.legacy_headers;
  std::string key_error;
  if (!d.sealed_headers.empty()) {
    absl::StatusOr<std::map<std::string, std::string>> opened =
        OpenHeaders(*secrets_, d.sealed_headers, d.endpoint_id);
    if (opened.ok()) {
      custom = *std::move(opened);
    } else {
      key_error = "cannot open the endpoint's custom headers (check --secret_key)";
    }
  }
  // "name;" is how libcurl sends a header with an empty value ("name:"
  // would remove it).
  for (const auto& [name, value] : custom) {
    if (value.empty()) {
      req.headers.push_back(absl::StrCat(name, ";"));
      logged[name] = "";
    } else {
      add(name, value, false);
    }
  }

  switch (d.format) {
    case 2:
      req.body = RenderSlackBody(d.event);
      break;
    case 3:
      req.body = RenderDiscordBody(d.event);
      break;
    default: {
      req.body = RenderNativeBody(d.event);
      std::vector<std::string> secrets;
      for (const std::string& sealed : d.sealed_secrets) {
        absl::StatusOr<std::string> secret = secrets_->Open(sealed, d.endpoint_id);
        if (secret.ok()) secrets.push_back(*std::move(secret));
      }
      absl::StatusOr<SignatureHeaders> sig =
          SignNative(req.body, d.event.id, absl::ToUnixSeconds(absl::Now()), secrets);
      if (!sig.ok()) {
        key_error = "no usable signing secret (check --secret_key)";
        break;
      }
      req.headers.push_back("argus-signature: " + sig->argus_signature);
      req.headers.push_back("x-argus-signature: " + sig->x_argus_signature);
      req.headers.push_back("webhook-signature: " + sig->webhook_signature);
      add("webhook-id", sig->webhook_id, true);
      add("webhook-timestamp", sig->webhook_timestamp, true);
    }
  }
  if (!key_error.empty()) {
    LogError("cannot sign delivery", {{"delivery", d.delivery_id}, {"endpoint", d.endpoint_id}});
    Completion c{std::move(d), std::move(logged), {}, {}};
    c.result.error = "signing";
    c.result.body = key_error;
    c.result.started = absl::Now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      completions_.push_back(std::move(c));
    }
    Wake();
    return;
  }
  // A few bytes past the cap, so the record cuts it at a character boundary.
  auto shared = std::make_shared<Completion>(Completion{
      std::move(d), std::move(logged), req.body.substr(0, kMaxResponseBodyBytes + 4), {}});
  sender_->Send(std::move(req), [this, shared](HttpResult result) {
    shared->result = std::move(result);
    {
      std::lock_guard<std::mutex> lock(mu_);
      completions_.push_back(std::move(*shared));
    }
    cv_.notify_one();
  });
}

AttemptRecord Dispatcher::Decide(Completion& c) {
  static thread_local absl::BitGen rng;
  AttemptOutcome outcome{c.result.status_code, c.result.error, std::nullopt};
  absl::Time now = absl::Now();
  if ((c.result.status_code == 429 || c.result.status_code == 503) && c.result.retry_after) {
    outcome.retry_after = ParseRetryAfter(*c.result.retry_after, now);
  }
  Decision decision = DecideNext(outcome, c.delivery.attempt - c.delivery.retry_base,
                                 c.delivery.retry_schedule, absl::Uniform(rng, -1.0, 1.0));
  AttemptRecord r;
  r.delivery_id = c.delivery.delivery_id;
  r.bucket_at = c.delivery.bucket_at;
  r.endpoint_id = c.delivery.endpoint_id;
  r.attempt = c.delivery.attempt;
  r.started = c.result.started;
  r.duration = c.result.duration;
  r.status_code = c.result.status_code;
  r.error = c.result.error;
  r.response_body = std::move(c.result.body);
  r.request_headers = std::move(c.request_headers);
  r.request_body = std::move(c.request_body);
  r.verdict = decision.verdict;
  r.next_attempt_at = now + decision.delay;
  r.disable_endpoint = decision.disable_endpoint;
  r.disable_reason = decision.disable_reason;

  metrics_->Attempt(MetricResult(ResultTag(outcome)), FormatName(c.delivery.format),
                    absl::ToDoubleSeconds(c.result.duration));
  if (decision.verdict == DeliveryVerdict::kSucceeded) {
    metrics_->Finished("succeeded");
    metrics_->EndToEnd(absl::ToDoubleSeconds(now - c.delivery.event.created));
    std::lock_guard<std::mutex> lock(mu_);
    ++status_.delivered;
  } else if (decision.verdict == DeliveryVerdict::kFailed) {
    metrics_->Finished("failed");
  }
  if (decision.verdict == DeliveryVerdict::kRetry) {
    // Our own retries are the ones we know to be due then.
    next_claim_ = std::min(next_claim_, r.next_attempt_at);
  }
  if (decision.disable_endpoint) {
    LogWarning("endpoint disabled", {{"endpoint", r.endpoint_id}, {"reason", r.disable_reason}});
  }
  return r;
}

void Dispatcher::Periodic(absl::Time now) {
  if (now >= next_expire_) {
    next_expire_ = now + std::max(absl::Seconds(1), options_.lease / 4);
    absl::StatusOr<ExpiredLeases> expired = store_->ExpireLeases();
    if (expired.ok() && expired->returned > 0) {
      LogInfo("expired leases returned to pending", {{"count", absl::StrCat(expired->returned)}});
      next_claim_ = now;
    }
    if (expired.ok() && !expired->poisoned_formats.empty()) {
      LogError("deliveries quarantined as poison: claimed again and again without a result",
               {{"count", absl::StrCat(expired->poisoned_formats.size())}});
      for (int format : expired->poisoned_formats) {
        metrics_->Attempt("poison", FormatName(format), 0);
        metrics_->Finished("failed");
      }
    }
  }
  if (now >= next_stats_) {
    next_stats_ = now + absl::Seconds(2);
    // Five passes' worth: a reporter that stops is replaced within 10 s.
    absl::StatusOr<QueueStats> stats = store_->Stats(options_.replica_id, absl::Seconds(10));
    // A pass that failed cannot tell whether the lease is still ours (another
    // replica takes it once it expires): export nothing rather than stale
    // numbers that would then be counted twice.
    if (stats.ok() && stats->reporter) {
      metrics_->QueueDepth(static_cast<double>(stats->pending_due + stats->pending_later),
                           static_cast<double>(stats->in_flight),
                           absl::ToDoubleSeconds(stats->oldest_due_age));
      metrics_->FailingEndpoints(stats->failing_endpoints_by_org);
    } else {
      metrics_->NoQueueDepth();
    }
    if (stats.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      status_.lag = stats->oldest_due_age;
    }
  }
}

void Dispatcher::ReleaseWaiting() {
  std::vector<std::string> ids;
  for (auto& [endpoint, lane] : lanes_) {
    for (const ClaimedDelivery& d : lane.waiting) ids.push_back(d.delivery_id);
    lane.waiting.clear();
  }
  waiting_ = 0;
  lanes_.clear();
  absl::Status s = store_->Release(options_.replica_id, ids);
  if (!s.ok()) {
    LogWarning("releasing claimed deliveries failed; their leases will expire",
               {{"error", std::string(s.message())}});
  } else if (!ids.empty()) {
    LogInfo("released unsent deliveries", {{"count", absl::StrCat(ids.size())}});
  }
}

}  // namespace argus
