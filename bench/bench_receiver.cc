#include "bench/bench_receiver.h"

#include <httplib.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace argus::bench {
namespace {

// Enough workers for every connection the deliverers keep open, hanging
// ones included.
constexpr int kWorkers = 512;
constexpr absl::Duration kLongestHang = absl::Minutes(5);

// The "bench_t" the load generator wrote into data, or 0.
int64_t PublishedNs(const std::string& body) {
  static constexpr char kKey[] = "\"bench_t\":";
  size_t at = body.find(kKey);
  if (at == std::string::npos) return 0;
  return std::strtoll(body.c_str() + at + sizeof(kKey) - 1, nullptr, 10);
}

}  // namespace

BenchReceiver::BenchReceiver() : server_(std::make_unique<httplib::Server>()) {
  server_->new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server_->set_keep_alive_max_count(1000000);
  server_->set_keep_alive_timeout(60);
  server_->Post(R"(/(ok|fail|hang)/.*)", [this](const httplib::Request& req,
                                               httplib::Response& res) {
    const std::string kind = req.matches[1];
    int64_t now_ns = absl::GetCurrentTimeNanos();
    std::unique_lock<std::mutex> lock(mu_);
    if (kind == "hang") {
      ++counts_.hung;
      changed_.wait_for(lock, absl::ToChronoNanoseconds(kLongestHang), [this] { return stopping_; });
      res.status = 503;
      return;
    }
    if (kind == "fail") {
      ++counts_.failed;
      res.status = 500;
      return;
    }
    if (!seen_.insert(req.get_header_value("webhook-id")).second) ++counts_.duplicates;
    ++counts_.ok;
    arrivals_.push_back({now_ns, PublishedNs(req.body)});
    lock.unlock();
    changed_.notify_all();
    res.set_content("ok", "text/plain");
  });
  // Bound and listening on return: connections wait in the backlog until
  // the accept loop runs.
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
}

BenchReceiver::~BenchReceiver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  server_->stop();
  thread_.join();
}

std::string BenchReceiver::Url(const std::string& path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

BenchReceiver::Snapshot BenchReceiver::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

std::vector<int64_t> BenchReceiver::OkArrivals() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int64_t> out;
  out.reserve(arrivals_.size());
  for (const Arrival& a : arrivals_) out.push_back(a.at_ns);
  return out;
}

std::vector<double> BenchReceiver::LatenciesMs(absl::Time since) const {
  int64_t since_ns = absl::ToUnixNanos(since);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<double> out;
  for (const Arrival& a : arrivals_) {
    if (a.published_ns >= since_ns) out.push_back((a.at_ns - a.published_ns) / 1e6);
  }
  return out;
}

bool BenchReceiver::WaitForOk(int64_t ok, absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                           [&] { return counts_.ok >= ok; });
}

}  // namespace argus::bench
