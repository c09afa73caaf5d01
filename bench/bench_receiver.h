#ifndef ARGUS_BENCH_BENCH_RECEIVER_H_
#define ARGUS_BENCH_BENCH_RECEIVER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace argus::testing {
class TestCa;
}

namespace argus::bench {

// A fast HTTP/1.1 receiver on 127.0.0.1 that records each arrival: one
// thread, epoll, keep-alive, Content-Length bodies (what the deliverer
// sends); plain, or HTTPS with the server certificate of `tls` (real TLS,
// one handshake per connection, the connection reused). Paths say how to answer: /ok/… 200 (after
// `answer_delay`, a receiver that takes that long), /fail/… 500, /hang/… never (the connection
// stays open until the sender's timeout closes it). End-to-end latency comes from the "bench_t"
// field (Unix nanoseconds at Publish) the load generator puts in each event's data.
class BenchReceiver {
 public:
  explicit BenchReceiver(const testing::TestCa* tls = nullptr,
                         absl::Duration answer_delay = absl::ZeroDuration());
  ~BenchReceiver();

  int port() const { return port_; }
  std::string Url(const std::string& path) const;

  struct Snapshot {
    int64_t ok = 0;          // 200s answered
    int64_t failed = 0;      // 500s answered
    int64_t hung = 0;        // hanging requests received
    int64_t duplicates = 0;  // a webhook-id seen before (ok path)
    // Ordered endpoints (an argus-sequence header): 200s whose sequence was
    // neither the path's last one again (a resend) nor the next.
    int64_t out_of_order = 0;
  };
  Snapshot Counts() const;
  // Arrival times (Unix ns) of the 200s, in arrival order.
  std::vector<int64_t> OkArrivals() const;
  // Publish-to-arrival latencies of the 200s, in ms, for events published
  // at or after `since`.
  std::vector<double> LatenciesMs(absl::Time since) const;
  // Waits until `ok` 200s arrived or `timeout`; true if they did.
  bool WaitForOk(int64_t ok, absl::Duration timeout) const;

 private:
  struct Arrival {
    int64_t at_ns;
    int64_t published_ns;
  };

  struct Connection;
  struct DelayedAnswer {
    int64_t due_ns;
    int fd;
    uint64_t connection;  // Connection::id: the fd may have been reused since
    std::string out;
  };

  void Loop();
  // Sends the delayed answers that are due; re-arms the timer for the next.
  void AnswerDue(std::map<int, Connection>& connections);
  void ArmTimer(int64_t due_ns);
  // Handles the complete requests at the front of `c`'s buffer; false when
  // the connection is to be closed.
  bool Serve(Connection& c);
  // Appends what `c` has to read to c.in; false when it closed or failed.
  bool ReadAvailable(Connection& c, char* buf, size_t size);
  bool WriteAll(Connection& c, const std::string& out);
  void Close(Connection& c);
  void Record(absl::string_view path, const std::string& webhook_id, int64_t sequence,
              const char* body, size_t length);

  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;   // eventfd: stop
  int timer_fd_ = -1;  // timerfd: the next delayed answer is due
  uint64_t next_connection_ = 0;
  const absl::Duration answer_delay_;
  std::deque<DelayedAnswer> delayed_;  // loop thread; due times in order
  int port_ = 0;
  SSL_CTX* tls_ = nullptr;
  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::vector<Arrival> arrivals_;
  absl::flat_hash_set<std::string> seen_;
  std::map<std::string, int64_t, std::less<>> last_sequence_;  // by path
  Snapshot counts_;
};

}  // namespace argus::bench

#endif  // ARGUS_BENCH_BENCH_RECEIVER_H_
