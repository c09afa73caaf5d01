// PublishCombiner with a fake write: publishes that queue up behind one
// org's write share the next one, orgs do not wait for each other, and a
// failed combined write is retried call by call. No sleeps: the test waits on the combiner's own
// count of waiting calls, with a deadline.
#include "services/event-ingest/publish_combiner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace argus {
namespace {

NewEvent Event(const std::string& type) {
  NewEvent e;
  e.type = type;
  return e;
}

// A write that records what it was given and holds the first `holds`
// writes of `held_org` until released.
class FakeStore {
 public:
  explicit FakeStore(std::string held_org = "", int holds = 1)
      : held_org_(std::move(held_org)), holds_left_(holds) {}

  absl::StatusOr<std::vector<PublishOutcome>> Write(const std::string& org,
                                                    const std::vector<NewEvent>& events) {
    MutexLock lock(&mu_);
    if (org == held_org_ && holds_left_ > 0) {
      --holds_left_;
      ++holding_;
      mu_.Await([&]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return released_; });
      --holding_;
    }
    std::vector<std::string> types;
    for (const NewEvent& e : events) types.push_back(e.type);
    writes_.push_back(types);
    for (const NewEvent& e : events) {
      if (e.type == "bad") return absl::InvalidArgumentError("a bad event");
    }
    std::vector<PublishOutcome> out;
    for (const NewEvent& e : events) out.push_back({.event_id = absl::StrCat(org, "/", e.type)});
    return out;
  }
  bool Holding(int n = 1) {
    MutexLock lock(&mu_);
    return holding_ == n;
  }
  void Release() {
    MutexLock lock(&mu_);
    released_ = true;
  }
  std::vector<std::vector<std::string>> Writes() {
    MutexLock lock(&mu_);
    return writes_;
  }

 private:
  const std::string held_org_;
  Mutex mu_;
  int holds_left_ ABSL_GUARDED_BY(mu_);
  bool released_ ABSL_GUARDED_BY(mu_) = false;
  int holding_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::vector<std::string>> writes_ ABSL_GUARDED_BY(mu_);
};

PublishCombiner::WriteFn WriteTo(FakeStore& store) {
  return [&store](const std::string& org, const std::vector<NewEvent>& events) {
    return store.Write(org, events);
  };
}

PublishCombiner CombinerOver(FakeStore& store, size_t max_events = 100, int max_writers = 1,
                             size_t max_bytes = 1 << 20) {
  return PublishCombiner(WriteTo(store), max_events, max_bytes, max_writers);
}

// Publishes and waits for the answer (which may come from another thread).
PublishCombiner::Outcomes PublishAndWait(PublishCombiner& combiner, const std::string& org,
                                         std::vector<NewEvent> events) {
  std::promise<PublishCombiner::Outcomes> answer;
  combiner.Publish(org, std::move(events),
                   [&](PublishCombiner::Outcomes o) { answer.set_value(std::move(o)); });
  return answer.get_future().get();
}

// Waits (bounded) until `ready`.
template <typename Pred>
bool Eventually(Pred ready) {
  for (absl::Time deadline = absl::Now() + absl::Seconds(10); absl::Now() < deadline;) {
    if (ready()) return true;
    std::this_thread::yield();
  }
  return ready();
}

TEST(PublishCombinerTest, AnIdleOrgsPublishIsWrittenAtOnceAndAlone) {
  FakeStore store;
  PublishCombiner combiner = CombinerOver(store);
  auto out = PublishAndWait(combiner, "a", {Event("one"), Event("two")});
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->size(), 2u);
  EXPECT_EQ((*out)[1].event_id, "a/two");
  EXPECT_EQ(store.Writes(), (std::vector<std::vector<std::string>>{{"one", "two"}}));
  EXPECT_EQ(combiner.Waiting("a"), 0u);
}

TEST(PublishCombinerTest, PublishesThatArriveDuringAWriteShareTheNextOneInOrder) {
  FakeStore store("a");
  PublishCombiner combiner = CombinerOver(store);
  std::vector<PublishCombiner::Outcomes> results(4);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = PublishAndWait(combiner, "a", {Event("first")}); });
  ASSERT_TRUE(Eventually([&] { return store.Holding(); }));
  for (int i = 1; i < 4; ++i) {
    threads.emplace_back(
        [&, i] { results[i] = PublishAndWait(combiner, "a", {Event(absl::StrCat("e", i))}); });
    ASSERT_TRUE(Eventually([&] { return combiner.Waiting("a") == static_cast<size_t>(i); }));
  }
  store.Release();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(store.Writes(), (std::vector<std::vector<std::string>>{{"first"}, {"e1", "e2", "e3"}}));
  for (int i = 1; i < 4; ++i) {
    ASSERT_TRUE(results[i].ok()) << results[i].status();
    ASSERT_EQ(results[i]->size(), 1u);
    EXPECT_EQ((*results[i])[0].event_id, absl::StrCat("a/e", i));
  }
  EXPECT_EQ(combiner.Waiting("a"), 0u);
}

TEST(PublishCombinerTest, AQueuedPublishReturnsAtOnceAndIsAnsweredByTheWritingThread) {
  FakeStore store("a");
  PublishCombiner combiner = CombinerOver(store);
  std::thread::id writer_id;
  std::thread writer([&] {
    writer_id = std::this_thread::get_id();
    (void)PublishAndWait(combiner, "a", {Event("first")});
  });
  ASSERT_TRUE(Eventually([&] { return store.Holding(); }));
  std::promise<std::thread::id> answered_on;
  combiner.Publish("a", {Event("queued")}, [&](PublishCombiner::Outcomes o) {
    EXPECT_TRUE(o.ok()) << o.status();
    answered_on.set_value(std::this_thread::get_id());
  });
  std::future<std::thread::id> answer = answered_on.get_future();
  EXPECT_EQ(answer.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  EXPECT_EQ(combiner.Waiting("a"), 1u);
  store.Release();
  std::thread::id id = answer.get();
  writer.join();
  EXPECT_EQ(id, writer_id);
}

TEST(PublishCombinerTest, AWriteTakesAtMostMaxEventsAndTheRestFollow) {
  FakeStore store("a");
  PublishCombiner combiner = CombinerOver(store, /*max_events=*/3);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { (void)PublishAndWait(combiner, "a", {Event("first")}); });
  ASSERT_TRUE(Eventually([&] { return store.Holding(); }));
  threads.emplace_back([&] { (void)PublishAndWait(combiner, "a", {Event("b1"), Event("b2")}); });
  ASSERT_TRUE(Eventually([&] { return combiner.Waiting("a") == 1; }));
  threads.emplace_back([&] { (void)PublishAndWait(combiner, "a", {Event("c1"), Event("c2")}); });
  ASSERT_TRUE(Eventually([&] { return combiner.Waiting("a") == 2; }));
  store.Release();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(store.Writes(),
            (std::vector<std::vector<std::string>>{{"first"}, {"b1", "b2"}, {"c1", "c2"}}));
}

TEST(PublishCombinerTest, AWriteTakesAtMostMaxBytesOfPayloads) {
  FakeStore store("a");
  PublishCombiner combiner =
      CombinerOver(store, /*max_events=*/100, /*max_writers=*/1, /*max_bytes=*/10);
  auto sized = [](const std::string& type) {
    NewEvent e = Event(type);
    e.payload_json = R"({"a":1})";  // 7 bytes: two do not fit in 10
    return e;
  };
  std::vector<std::thread> threads;
  threads.emplace_back([&] { (void)PublishAndWait(combiner, "a", {sized("first")}); });
  ASSERT_TRUE(Eventually([&] { return store.Holding(); }));
  for (const char* type : {"b", "c"}) {
    threads.emplace_back([&, type] { (void)PublishAndWait(combiner, "a", {sized(type)}); });
    ASSERT_TRUE(Eventually([&] { return combiner.Waiting("a") == (type[0] == 'b' ? 1u : 2u); }));
  }
  store.Release();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(store.Writes(), (std::vector<std::vector<std::string>>{{"first"}, {"b"}, {"c"}}));
}

TEST(PublishCombinerTest, UpToMaxWritersWritesOfOneOrgRunAtOnceAndTheRestQueue) {
  FakeStore store("a", /*holds=*/2);
  PublishCombiner combiner = CombinerOver(store, /*max_events=*/100, /*max_writers=*/2);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { (void)PublishAndWait(combiner, "a", {Event("w1")}); });
  threads.emplace_back([&] { (void)PublishAndWait(combiner, "a", {Event("w2")}); });
  ASSERT_TRUE(Eventually([&] { return store.Holding(2); }));
  EXPECT_EQ(combiner.Waiting("a"), 0u);
  // One after the other: two threads started together arrive in either order.
  threads.emplace_back([&] { (void)PublishAndWait(combiner, "a", {Event("q1")}); });
  ASSERT_TRUE(Eventually([&] { return combiner.Waiting("a") == 1; }));
  threads.emplace_back([&] { (void)PublishAndWait(combiner, "a", {Event("q2")}); });
  ASSERT_TRUE(Eventually([&] { return combiner.Waiting("a") == 2; }));
  store.Release();
  for (std::thread& t : threads) t.join();
  // The two released writers finish in either order; the queued calls
  // went together into one write.
  std::vector<std::vector<std::string>> writes = store.Writes();
  std::sort(writes.begin(), writes.end());
  EXPECT_EQ(writes, (std::vector<std::vector<std::string>>{{"q1", "q2"}, {"w1"}, {"w2"}}));
  EXPECT_EQ(combiner.Waiting("a"), 0u);
}

TEST(PublishCombinerTest, TheCombinerMayGoAsSoonAsTheLastAnswerArrives) {
  // As a service's owner does once its last call is answered: under ASan or
  // TSan, anything the writer touched after answering would be reported.
  FakeStore store;
  auto combiner = std::make_unique<PublishCombiner>(WriteTo(store), /*max_events=*/100,
                                                    /*max_bytes=*/1 << 20, /*max_writers=*/1);
  std::promise<void> answered;
  std::thread writer([&] {
    combiner->Publish("a", {Event("x")}, [&](PublishCombiner::Outcomes) { answered.set_value(); });
  });
  answered.get_future().wait();
  combiner.reset();
  writer.join();
}

TEST(PublishCombinerTest, AnotherOrgIsWrittenWhileOneOrgsWriteIsSlow) {
  FakeStore store("slow");
  PublishCombiner combiner = CombinerOver(store);
  std::thread slow([&] { (void)PublishAndWait(combiner, "slow", {Event("held")}); });
  ASSERT_TRUE(Eventually([&] { return store.Holding(); }));
  auto other = PublishAndWait(combiner, "other", {Event("quick")});
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ((*other)[0].event_id, "other/quick");
  store.Release();
  slow.join();
}

TEST(PublishCombinerTest, AFailedCombinedWriteIsRetriedCallByCallSoOnlyTheBadCallFails) {
  FakeStore store("a");
  PublishCombiner combiner = CombinerOver(store);
  std::vector<PublishCombiner::Outcomes> results(3);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = PublishAndWait(combiner, "a", {Event("first")}); });
  ASSERT_TRUE(Eventually([&] { return store.Holding(); }));
  threads.emplace_back([&] { results[1] = PublishAndWait(combiner, "a", {Event("bad")}); });
  ASSERT_TRUE(Eventually([&] { return combiner.Waiting("a") == 1; }));
  threads.emplace_back([&] { results[2] = PublishAndWait(combiner, "a", {Event("good")}); });
  ASSERT_TRUE(Eventually([&] { return combiner.Waiting("a") == 2; }));
  store.Release();
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(store.Writes(),
            (std::vector<std::vector<std::string>>{{"first"}, {"bad", "good"}, {"bad"}, {"good"}}));
  EXPECT_EQ(results[1].status().code(), absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(results[2].ok()) << results[2].status();
  EXPECT_EQ((*results[2])[0].event_id, "a/good");
}

}  // namespace
}  // namespace argus
