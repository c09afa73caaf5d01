#include "bench/bench_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "tests/support/https_receiver.h"

namespace argus::bench {
namespace {

constexpr size_t kMaxRequestBytes = 4 << 20;

[[noreturn]] void Fail(const char* what) {
  std::perror(what);
  std::abort();
}

// The "bench_t" the load generator wrote into data, or 0.
int64_t PublishedNs(absl::string_view body) {
  static constexpr absl::string_view kKey = "\"bench_t\":";
  size_t at = body.find(kKey);
  if (at == absl::string_view::npos) return 0;
  int64_t ns = 0;
  absl::string_view digits = body.substr(at + kKey.size());
  digits = digits.substr(0, digits.find_first_not_of("0123456789"));
  return absl::SimpleAtoi(digits, &ns) ? ns : 0;
}

}  // namespace

struct BenchReceiver::Connection {
  int fd;
  uint64_t id = 0;
  SSL* ssl = nullptr;  // HTTPS: the session over fd
  std::string in;
  bool hung = false;  // a /hang request: answer nothing more
};

BenchReceiver::BenchReceiver(const testing::TestCa* tls, absl::Duration answer_delay)
    : answer_delay_(answer_delay) {
  if (tls != nullptr) {
    tls_ = SSL_CTX_new(TLS_server_method());
    if (tls_ == nullptr ||
        SSL_CTX_use_certificate_chain_file(tls_, tls->server_cert().c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls_, tls->server_key().c_str(), SSL_FILETYPE_PEM) != 1) {
      ERR_print_errors_fp(stderr);
      Fail("bench receiver: TLS certificate");
    }
  }
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(listen_fd_, 4096) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    Fail("bench receiver: listen");
  }
  port_ = ntohs(addr.sin_port);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  timer_fd_ = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  for (int fd : {listen_fd_, wake_fd_, timer_fd_}) {
    epoll_event ev{.events = EPOLLIN, .data = {.fd = fd}};
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) Fail("bench receiver: epoll_ctl");
  }
  thread_ = std::thread([this] { Loop(); });
}

BenchReceiver::~BenchReceiver() {
  uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) != sizeof(one)) Fail("bench receiver: wake");
  thread_.join();
  close(wake_fd_);
  close(timer_fd_);
  close(epoll_fd_);
  close(listen_fd_);
  SSL_CTX_free(tls_);
}

void BenchReceiver::Loop() {
  std::map<int, Connection> connections;
  epoll_event events[256];
  char buf[64 * 1024];
  for (;;) {
    int n = epoll_wait(epoll_fd_, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) Fail("bench receiver: epoll_wait");
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake_fd_) {
        for (auto& [cfd, c] : connections) Close(c);
        return;
      }
      if (fd == timer_fd_) {
        uint64_t expirations = 0;
        (void)read(timer_fd_, &expirations, sizeof(expirations));
        AnswerDue(connections);
        continue;
      }
      if (fd == listen_fd_) {
        for (;;) {
          int cfd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (cfd < 0) break;
          int on = 1;
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
          epoll_event ev{.events = EPOLLIN, .data = {.fd = cfd}};
          epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, cfd, &ev);
          Connection& c = connections.emplace(cfd, Connection{.fd = cfd, .id = ++next_connection_})
                              .first->second;
          if (tls_ != nullptr) {
            c.ssl = SSL_new(tls_);
            SSL_set_fd(c.ssl, cfd);
            SSL_set_accept_state(c.ssl);  // the first read does the handshake
          }
        }
        continue;
      }
      Connection& c = connections.at(fd);
      bool open = ReadAvailable(c, buf, sizeof(buf));
      if (open && !c.hung) open = Serve(c);
      if (!open || c.in.size() > kMaxRequestBytes) {
        Close(c);
        connections.erase(fd);
      }
    }
  }
}

bool BenchReceiver::Serve(Connection& c) {
  std::string out;
  size_t used = 0;
  for (;;) {
    absl::string_view rest = absl::string_view(c.in).substr(used);
    size_t head_end = rest.find("\r\n\r\n");
    if (head_end == absl::string_view::npos) break;
    absl::string_view head = rest.substr(0, head_end);
    size_t content_length = 0;
    std::string webhook_id;
    int64_t sequence = 0;
    for (absl::string_view line : absl::StrSplit(head, "\r\n")) {
      size_t colon = line.find(':');
      if (colon == absl::string_view::npos) continue;
      absl::string_view name = line.substr(0, colon);
      absl::string_view value = absl::StripAsciiWhitespace(line.substr(colon + 1));
      if (absl::EqualsIgnoreCase(name, "content-length") &&
          !absl::SimpleAtoi(value, &content_length)) {
        return false;
      }
      if (absl::EqualsIgnoreCase(name, "webhook-id")) webhook_id = std::string(value);
      if (absl::EqualsIgnoreCase(name, "argus-sequence") && !absl::SimpleAtoi(value, &sequence)) {
        return false;
      }
    }
    size_t total = head_end + 4 + content_length;
    if (rest.size() < total) break;
    absl::string_view path = head.substr(0, head.find("\r\n"));  // "POST /ok/3 HTTP/1.1"
    path = path.substr(path.find(' ') + 1);
    if (absl::StartsWith(path, "/hang/")) {
      std::lock_guard<std::mutex> lock(mu_);
      ++counts_.hung;
      c.hung = true;
      c.in.clear();
      return true;
    }
    if (absl::StartsWith(path, "/ok/")) {
      Record(path.substr(0, path.find(' ')), webhook_id, sequence, rest.data() + head_end + 4,
             content_length);
      out += "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    } else {
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++counts_.failed;
      }
      out += "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nfail";
    }
    used += total;
  }
  c.in.erase(0, used);
  if (out.empty()) return true;
  if (answer_delay_ <= absl::ZeroDuration()) return WriteAll(c, out);
  int64_t due = absl::GetCurrentTimeNanos() + absl::ToInt64Nanoseconds(answer_delay_);
  delayed_.push_back({due, c.fd, c.id, std::move(out)});
  if (delayed_.size() == 1) ArmTimer(due);
  return true;
}

void BenchReceiver::ArmTimer(int64_t due_ns) {
  itimerspec at{};
  at.it_value = {.tv_sec = due_ns / 1000000000, .tv_nsec = due_ns % 1000000000};
  if (timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &at, nullptr) != 0) {
    Fail("bench receiver: timerfd_settime");
  }
}

void BenchReceiver::AnswerDue(std::map<int, Connection>& connections) {
  int64_t now = absl::GetCurrentTimeNanos();
  while (!delayed_.empty() && delayed_.front().due_ns <= now) {
    DelayedAnswer& a = delayed_.front();
    auto c = connections.find(a.fd);
    if (c != connections.end() && c->second.id == a.connection && !WriteAll(c->second, a.out)) {
      Close(c->second);
      connections.erase(c);
    }
    delayed_.pop_front();
  }
  if (!delayed_.empty()) ArmTimer(delayed_.front().due_ns);
}

bool BenchReceiver::ReadAvailable(Connection& c, char* buf, size_t size) {
  for (;;) {
    if (c.ssl != nullptr) {
      int got = SSL_read(c.ssl, buf, static_cast<int>(size));
      if (got > 0) {
        c.in.append(buf, static_cast<size_t>(got));
        continue;
      }
      // A handshake step that wants to write finds room on loopback; both
      // wait for the peer's next bytes.
      int error = SSL_get_error(c.ssl, got);
      ERR_clear_error();
      return error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE;
    }
    ssize_t got = read(c.fd, buf, size);
    if (got > 0) {
      c.in.append(buf, static_cast<size_t>(got));
      continue;
    }
    return got < 0 && (errno == EAGAIN || errno == EINTR);
  }
}

// Small answers to a client waiting for them: one write does it (a full
// socket buffer here means the client stopped reading: drop it).
bool BenchReceiver::WriteAll(Connection& c, const std::string& out) {
  if (c.ssl != nullptr) {
    bool ok =
        SSL_write(c.ssl, out.data(), static_cast<int>(out.size())) == static_cast<int>(out.size());
    ERR_clear_error();
    return ok;
  }
  return write(c.fd, out.data(), out.size()) == static_cast<ssize_t>(out.size());
}

void BenchReceiver::Close(Connection& c) {
  SSL_free(c.ssl);
  close(c.fd);
}

void BenchReceiver::Record(absl::string_view path, const std::string& webhook_id, int64_t sequence,
                           const char* body, size_t length) {
  int64_t now_ns = absl::GetCurrentTimeNanos();
  int64_t published_ns = PublishedNs(absl::string_view(body, length));
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!seen_.insert(webhook_id).second) ++counts_.duplicates;
    if (sequence > 0) {
      auto [last, added] = last_sequence_.try_emplace(std::string(path), 0);
      if (sequence != last->second && sequence != last->second + 1) ++counts_.out_of_order;
      last->second = sequence;
    }
    ++counts_.ok;
    arrivals_.push_back({now_ns, published_ns});
  }
  changed_.notify_all();
}

std::string BenchReceiver::Url(const std::string& path) const {
  return absl::StrCat(tls_ != nullptr ? "https" : "http", "://127.0.0.1:", port_, path);
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
    if (a.published_ns >= since_ns)
      out.push_back(static_cast<double>(a.at_ns - a.published_ns) / 1e6);
  }
  return out;
}

bool BenchReceiver::WaitForOk(int64_t ok, absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, absl::ToChronoNanoseconds(timeout),
                           [&] { return counts_.ok >= ok; });
}

}  // namespace argus::bench
