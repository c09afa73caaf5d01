#include "tests/support/https_receiver.h"

#include <httplib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/pg_cluster.h"

namespace argus::testing {

TestCa::TestCa() {
  char tmpl[] = "/tmp/argus-caXXXXXX";
  dir_ = mkdtemp(tmpl);
  ca_cert_ = dir_ + "/ca.pem";
  server_cert_ = dir_ + "/server.pem";
  server_key_ = dir_ + "/server.key";
  std::string d = dir_;
  RunOrDie(absl::StrCat(
      "cd ", d, " && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=Argus Test CA' ",
      "-keyout ca.key -out ca.pem 2>/dev/null && ",
      "openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' -keyout server.key ",
      "-out server.csr 2>/dev/null && ",
      "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\nbasicConstraints=CA:FALSE\\n' > ext && ",
      "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 ",
      "-extfile ext -out server.pem 2>/dev/null"));
}

TestCa::~TestCa() { std::filesystem::remove_all(dir_); }

HttpsReceiver::HttpsReceiver(const TestCa& ca)
    : server_(
          std::make_unique<httplib::SSLServer>(ca.server_cert().c_str(), ca.server_key().c_str())) {
  // Plenty of threads: hanging requests must not starve the others.
  server_->new_task_queue = [] { return new httplib::ThreadPool(64); };
  server_->Post(".*", [this](const httplib::Request& req, httplib::Response& res) {
    ReceivedRequest r{req.path, {}, req.body, absl::Now()};
    for (const auto& [name, value] : req.headers) r.headers[absl::AsciiStrToLower(name)] = value;
    Reply reply;
    {
      // Under a lock of its own, never held while a request is answered: a
      // request that arrives while another is handled counts both.
      std::lock_guard<std::mutex> lock(active_mu_);
      max_active_[req.path] = std::max(max_active_[req.path], ++active_[req.path]);
    }
    {
      std::unique_lock<std::mutex> lock(mu_);
      auto it = scripts_.find(req.path);
      if (auto responder = responders_.find(req.path); responder != responders_.end()) {
        reply = responder->second(r);
      } else if (it != scripts_.end() && !it->second.empty()) {
        size_t i = std::min(served_[req.path]++, it->second.size() - 1);
        reply = it->second[i];
      }
      r.status = reply.hang ? 503 : reply.status;
      received_.push_back(r);
      changed_.notify_all();
      if (reply.hang) {
        changed_.wait_for(lock, std::chrono::seconds(60), [this] { return released_; });
        reply = Reply{.status = 503, .body = "released"};
      }
    }
    {
      std::lock_guard<std::mutex> lock(active_mu_);
      --active_[req.path];
    }
    res.status = reply.status;
    for (const auto& [k, v] : reply.headers) res.set_header(k, v);
    res.set_content(reply.body, "text/plain");
  });
  port_ = server_->bind_to_any_port("127.0.0.1");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // Connections queue on the bound socket even before the accept loop runs,
  // so the receiver is usable at once; wait for the loop only to stop cleanly.
  while (!server_->is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

HttpsReceiver::~HttpsReceiver() {
  ReleaseHangs();
  server_->stop();
  thread_.join();
}

std::string HttpsReceiver::Url(const std::string& path) const {
  return absl::StrCat("https://127.0.0.1:", port_, path);
}

void HttpsReceiver::Script(const std::string& path, std::vector<Reply> replies) {
  std::lock_guard<std::mutex> lock(mu_);
  responders_.erase(path);
  scripts_[path] = std::move(replies);
  served_[path] = 0;
}

void HttpsReceiver::Respond(const std::string& path,
                            std::function<Reply(const ReceivedRequest&)> responder) {
  std::lock_guard<std::mutex> lock(mu_);
  scripts_.erase(path);
  responders_[path] = std::move(responder);
}

int HttpsReceiver::MaxConcurrent(const std::string& path) const {
  std::lock_guard<std::mutex> lock(active_mu_);
  auto it = max_active_.find(path);
  return it == max_active_.end() ? 0 : it->second;
}

std::vector<ReceivedRequest> HttpsReceiver::Received(const std::string& path) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ReceivedRequest> out;
  for (const auto& r : received_) {
    if (r.path == path) out.push_back(r);
  }
  return out;
}

size_t HttpsReceiver::Count(const std::string& path) const { return Received(path).size(); }

bool HttpsReceiver::WaitFor(const std::string& path, size_t n, absl::Duration timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] {
    size_t count = 0;
    for (const auto& r : received_) count += r.path == path ? 1 : 0;
    return count >= n;
  });
}

void HttpsReceiver::ReleaseHangs() {
  std::lock_guard<std::mutex> lock(mu_);
  released_ = true;
  changed_.notify_all();
}

}  // namespace argus::testing
