#ifndef ARGUS_TESTS_SUPPORT_HTTPS_RECEIVER_H_
#define ARGUS_TESTS_SUPPORT_HTTPS_RECEIVER_H_

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/time.h"

namespace httplib {
class SSLServer;
}

namespace argus::testing {

// A throwaway certificate authority and a server certificate for 127.0.0.1
// and localhost, made with the openssl CLI in a temporary directory.
class TestCa {
 public:
  TestCa();
  ~TestCa();
  const std::string& ca_cert() const { return ca_cert_; }
  const std::string& server_cert() const { return server_cert_; }
  const std::string& server_key() const { return server_key_; }

 private:
  std::string dir_;
  std::string ca_cert_, server_cert_, server_key_;
};

struct ReceivedRequest {
  std::string path;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  absl::Time at;
  int status = 0;  // what the receiver answered (503 for a released hang)
};

struct Reply {
  int status = 200;
  std::string body = "ok";
  std::map<std::string, std::string> headers;
  bool hang = false;  // never answer (until the receiver stops)
};

// A real HTTPS server on 127.0.0.1 (a free port) that records every POST and
// answers each path from a script: replies are used in order, the last one
// repeats. Unscripted paths answer 200.
class HttpsReceiver {
 public:
  explicit HttpsReceiver(const TestCa& ca);
  ~HttpsReceiver();

  int port() const { return port_; }
  std::string Url(const std::string& path) const;

  void Script(const std::string& path, std::vector<Reply> replies);
  // Answers `path` with what `responder` returns for each request (called
  // under the receiver's lock, one request at a time); replaces a script.
  void Respond(const std::string& path, std::function<Reply(const ReceivedRequest&)> responder);
  // The most requests to `path` that were being handled at the same time.
  int MaxConcurrent(const std::string& path) const;
  std::vector<ReceivedRequest> Received(const std::string& path) const;
  size_t Count(const std::string& path) const;
  // Waits until at least `n` requests reached `path`, up to `timeout`.
  bool WaitFor(const std::string& path, size_t n, absl::Duration timeout) const;
  // Lets hanging requests go (they answer 503) and stops hanging new ones.
  void ReleaseHangs();

 private:
  std::unique_ptr<httplib::SSLServer> server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::map<std::string, std::vector<Reply>> scripts_;
  std::map<std::string, std::function<Reply(const ReceivedRequest&)>> responders_;
  mutable std::mutex active_mu_;
  std::map<std::string, int> active_;  // requests being handled, by path
  std::map<std::string, int> max_active_;
  std::map<std::string, size_t> served_;
  std::vector<ReceivedRequest> received_;
  bool released_ = false;
};

}  // namespace argus::testing

#endif  // ARGUS_TESTS_SUPPORT_HTTPS_RECEIVER_H_
