// The dispatcher against a fake queue, a fake sender and a manual clock: no
// process, no network, no sleep. Results reach the fake queue through the
// real ResultRecorder's thread, so tests wait for them with a deadline.
#include "services/deliverer/dispatcher.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace argus {
namespace {

constexpr char kKey[] = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

class FakeQueue final : public DeliveryQueue {
 public:
  void AddDue(ClaimedDelivery d) {
    MutexLock lock(&mu_);
    due_.push_back(std::move(d));
  }
  // Held until a meter pass releases it.
  void AddMetered(ClaimedDelivery d) {
    MutexLock lock(&mu_);
    metered_.push_back(std::move(d));
  }

  absl::StatusOr<std::vector<ClaimedDelivery>> Claim(
      const std::string& replica, int limit, absl::Duration lease,
      const std::vector<std::string>& skip) override {
    MutexLock lock(&mu_);
    ++claims_;
    std::vector<ClaimedDelivery> out;
    for (auto it = due_.begin(); it != due_.end() && static_cast<int>(out.size()) < limit;) {
      if (std::find(skip.begin(), skip.end(), it->endpoint_id) != skip.end()) {
        ++it;
        continue;
      }
      out.push_back(std::move(*it));
      it = due_.erase(it);
    }
    return out;
  }
  absl::StatusOr<int> Record(const std::string& replica,
                             const std::vector<AttemptRecord>& records) override {
    MutexLock lock(&mu_);
    records_.insert(records_.end(), records.begin(), records.end());
    return 0;
  }
  absl::StatusOr<ExpiredLeases> ExpireLeases() override { return ExpiredLeases{}; }
  absl::StatusOr<int64_t> ReleaseMetered() override {
    MutexLock lock(&mu_);
    ++meter_passes_;
    int64_t n = static_cast<int64_t>(metered_.size());
    for (ClaimedDelivery& d : metered_) due_.push_back(std::move(d));
    metered_.clear();
    return n;
  }
  absl::Status Release(const std::string& replica, const std::vector<std::string>& ids) override {
    MutexLock lock(&mu_);
    released_.insert(released_.end(), ids.begin(), ids.end());
    return absl::OkStatus();
  }
  absl::Status Defer(const std::string& endpoint_id, absl::Duration delay) override {
    MutexLock lock(&mu_);
    deferred_.push_back(endpoint_id);
    return absl::OkStatus();
  }
  absl::StatusOr<QueueStats> Stats(const std::string& replica, absl::Duration lease) override {
    return QueueStats{};
  }

  // The first `n` records written, waiting up to 10 s for them.
  std::vector<AttemptRecord> Records(size_t n) {
    MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return records_.size() >= n; };
    mu_.AwaitWithTimeout(enough, absl::Seconds(10));
    return records_;
  }
  std::vector<std::string> released() {
    MutexLock lock(&mu_);
    return released_;
  }
  std::vector<std::string> deferred() {
    MutexLock lock(&mu_);
    return deferred_;
  }
  int meter_passes() {
    MutexLock lock(&mu_);
    return meter_passes_;
  }
  int claims() {
    MutexLock lock(&mu_);
    return claims_;
  }

 private:
  Mutex mu_;
  std::vector<ClaimedDelivery> due_ ABSL_GUARDED_BY(mu_);
  std::vector<ClaimedDelivery> metered_ ABSL_GUARDED_BY(mu_);
  int meter_passes_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<AttemptRecord> records_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> released_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> deferred_ ABSL_GUARDED_BY(mu_);
  int claims_ ABSL_GUARDED_BY(mu_) = 0;
};

// Holds every request until the test answers it.
class FakeSender final : public WebhookSender {
 public:
  struct Pending {
    HttpRequest request;
    std::function<void(HttpResult)> done;
  };
  void Send(HttpRequest request, std::function<void(HttpResult)> done) override {
    pending_.push_back({std::move(request), std::move(done)});
    ++sent_;
  }
  // Answers every request held with `status` (or fails it with `error`).
  void AnswerAll(int status, AttemptError error = AttemptError::kNone,
                 std::optional<std::string> retry_after = std::nullopt) {
    std::vector<Pending> now;
    now.swap(pending_);
    for (Pending& p : now) {
      HttpResult r;
      r.status_code = status;
      r.error = error;
      r.retry_after = retry_after;
      p.done(std::move(r));
    }
  }
  std::vector<Pending>& pending() { return pending_; }
  int sent() const { return sent_; }

 private:
  std::vector<Pending> pending_;  // the test thread's: Turn calls Send there
  int sent_ = 0;
};

class DispatcherTest : public testing::Test {
 protected:
  DispatcherTest() : box_(*SecretBox::FromBase64Key(kKey)), metrics_(registry_) {}

  std::unique_ptr<Dispatcher> Make(Dispatcher::Options options = {}) {
    options.replica_id = "r1";
    return std::make_unique<Dispatcher>(options, Dispatcher::Deps{.queue = &queue_,
                                                                  .sender = &sender_,
                                                                  .secrets = &box_,
                                                                  .metrics = &metrics_,
                                                                  .clock = &clock_,
                                                                  .jitter = [] { return 1.0; }});
  }
  ClaimedDelivery Delivery(const std::string& endpoint) {
    auto config = std::make_shared<EndpointConfig>();
    config->id = endpoint;
    config->org_slug = "acme";
    config->url = "https://receiver.example.com/" + endpoint;
    config->secrets = {{box_.Seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", endpoint)},
                       {box_.Seal("whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", endpoint)}};
    ClaimedDelivery d;
    d.delivery_id = absl::StrCat(endpoint, "-", next_id_++);
    d.endpoint_id = endpoint;
    d.endpoint = std::move(config);
    d.event = {.id = d.delivery_id, .type = "build.failed", .org = "acme", .data_json = "{}"};
    return d;
  }
  void Due(const std::string& endpoint, int n) {
    for (int i = 0; i < n; ++i) queue_.AddDue(Delivery(endpoint));
  }
  int SentTo(const std::string& endpoint) {
    int n = 0;
    for (const FakeSender::Pending& p : sender_.pending()) {
      n += absl::EndsWith(p.request.url, "/" + endpoint);
    }
    return n;
  }

  ManualClock clock_;
  SecretBox box_;
  prometheus::Registry registry_;
  DelivererMetrics metrics_;
  FakeQueue queue_;
  FakeSender sender_;
  int next_id_ = 0;
};

TEST_F(DispatcherTest, CapsEachEndpointAndSendsToOthersBeside) {
  Due("a", 20);
  Due("b", 3);
  auto d = Make({.per_endpoint_in_flight = 4});
  d->Turn(false);
  EXPECT_EQ(SentTo("a"), 4);
  EXPECT_EQ(SentTo("b"), 3);
  EXPECT_EQ(d->GetStatus().claimed, 23);
  sender_.AnswerAll(200);
  d->Turn(false);
  EXPECT_EQ(SentTo("a"), 4);
  EXPECT_EQ(queue_.Records(7).size(), 7u);
}

TEST_F(DispatcherTest, OneEndpointWithADeepBacklogIsNotPacedByThePollInterval) {
  Due("a", 100);
  auto d = Make({.claim_batch = 10, .per_endpoint_in_flight = 4});
  // The clock never moves: every row must come from claims made because a
  // lane had room, not from the next poll.
  for (int turn = 0; turn < 200 && sender_.sent() < 100; ++turn) {
    d->Turn(false);
    EXPECT_LE(static_cast<int>(sender_.pending().size()), 4);
    sender_.AnswerAll(200);
  }
  d->Turn(false);  // hands the last answers to the recorder
  EXPECT_EQ(sender_.sent(), 100);
  EXPECT_EQ(queue_.Records(100).size(), 100u);
  EXPECT_LT(queue_.claims(), 40);  // a claim per batch, not per request
}

// A full batch that filled its only lane: the next claim would skip that
// endpoint and find nothing, so it waits until the lane has room.
TEST_F(DispatcherTest, AFullBatchThatFilledItsLanesDoesNotClaimAgainAtOnce) {
  Due("a", 100);
  auto d = Make({.claim_batch = 10, .per_endpoint_in_flight = 4});
  d->Turn(false);
  EXPECT_EQ(queue_.claims(), 1);
  EXPECT_EQ(sender_.sent(), 4);
  d->Turn(false);
  EXPECT_EQ(queue_.claims(), 1);
  sender_.AnswerAll(200);  // 6 still wait in the lane: it stays full
  d->Turn(false);
  EXPECT_EQ(queue_.claims(), 1);
  EXPECT_EQ(sender_.sent(), 8);
}

// Rate limits are kept in the queue for every replica at once: the
// dispatcher runs a meter pass every 50 ms and claims at once when it
// released something.
TEST_F(DispatcherTest, MeteredDeliveriesAreReleasedByAPassEvery50msAndClaimedAtOnce) {
  auto d = Make({.poll_interval = absl::Seconds(10)});
  d->Turn(false);
  EXPECT_EQ(queue_.meter_passes(), 1);
  queue_.AddMetered(Delivery("a"));
  clock_.Advance(absl::Milliseconds(49));
  std::optional<absl::Time> next = d->Turn(false);
  EXPECT_EQ(queue_.meter_passes(), 1);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, clock_.Now() + absl::Milliseconds(1));
  clock_.Advance(absl::Milliseconds(1));
  next = d->Turn(false);
  EXPECT_EQ(queue_.meter_passes(), 2);
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, clock_.Now());  // released: claim now, not at the poll
  d->Turn(false);
  EXPECT_EQ(sender_.sent(), 1);
}

TEST_F(DispatcherTest, ASlowEndpointGivesItsBacklogBackAndIsDeferred) {
  Due("a", 10);
  auto d = Make({.per_endpoint_in_flight = 4});
  d->Turn(false);
  ASSERT_EQ(sender_.sent(), 4);
  sender_.AnswerAll(0, AttemptError::kTimeout);
  d->Turn(false);
  EXPECT_EQ(queue_.released().size(), 6u);
  EXPECT_EQ(queue_.deferred(), std::vector<std::string>{"a"});
  std::vector<AttemptRecord> records = queue_.Records(4);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].error, AttemptError::kTimeout);
  EXPECT_EQ(records[0].verdict, DeliveryVerdict::kRetry);
}

TEST_F(DispatcherTest, RetryTimesComeFromTheClockAndTheInjectedJitter) {
  Due("a", 1);
  auto d = Make();
  d->Turn(false);
  sender_.AnswerAll(500);
  d->Turn(false);
  std::vector<AttemptRecord> records = queue_.Records(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].next_attempt_at, clock_.Now() + absl::Seconds(66));
}

TEST_F(DispatcherTest, RetryAfterAndGoneReachTheRecord) {
  Due("a", 2);
  auto d = Make({.per_endpoint_in_flight = 1});
  d->Turn(false);
  sender_.AnswerAll(429, AttemptError::kNone, "30");
  d->Turn(false);
  sender_.AnswerAll(410);
  d->Turn(false);
  std::vector<AttemptRecord> records = queue_.Records(2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].next_attempt_at, clock_.Now() + absl::Seconds(30));
  EXPECT_TRUE(records[1].disable_endpoint);
  EXPECT_EQ(records[1].verdict, DeliveryVerdict::kFailed);
}

TEST_F(DispatcherTest, SignsWithBothLiveSecretsAtTheClocksTime) {
  Due("a", 1);
  auto d = Make();
  d->Turn(false);
  ASSERT_EQ(sender_.pending().size(), 1u);
  std::string timestamp = absl::StrCat("webhook-timestamp: ", absl::ToUnixSeconds(clock_.Now()));
  const std::vector<std::string>& headers = sender_.pending()[0].request.headers;
  EXPECT_NE(std::find(headers.begin(), headers.end(), timestamp), headers.end());
  for (const std::string& h : headers) {
    if (absl::StartsWith(h, "webhook-signature: ")) {
      EXPECT_EQ(std::vector<std::string>(absl::StrSplit(h, ' ')).size(), 3u) << h;
    }
  }
}

TEST_F(DispatcherTest, ADeliveryThatCannotBeSignedFailsItsAttemptWithoutBeingSent) {
  Due("a", 1);
  SecretBox other = *SecretBox::FromBase64Key("HxwdHh8AAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRo=");
  Dispatcher d({.replica_id = "r1"}, {.queue = &queue_,
                                      .sender = &sender_,
                                      .secrets = &other,
                                      .metrics = &metrics_,
                                      .clock = &clock_,
                                      .jitter = [] { return 0.0; }});
  d.Turn(false);
  d.Turn(false);
  EXPECT_EQ(sender_.sent(), 0);
  std::vector<AttemptRecord> records = queue_.Records(1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].error, AttemptError::kSigning);
}

TEST_F(DispatcherTest, ADrainFinishesWhatIsOnTheWireAndGivesTheRestBack) {
  Due("a", 10);
  auto d = Make({.per_endpoint_in_flight = 2});
  d->Turn(false);
  ASSERT_EQ(sender_.sent(), 2);
  EXPECT_TRUE(d->Turn(true).has_value());  // two on the wire: not done
  EXPECT_TRUE(queue_.released().empty());
  sender_.AnswerAll(200);
  EXPECT_FALSE(d->Turn(true).has_value());
  EXPECT_EQ(queue_.released().size(), 8u);
  EXPECT_EQ(sender_.sent(), 2);
  EXPECT_EQ(queue_.Records(2).size(), 2u);
}

}  // namespace
}  // namespace argus
