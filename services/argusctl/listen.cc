#include "services/argusctl/listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/utf8_text.h"
#include "services/argusctl/webhook_check.h"

namespace argus {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 4 * 1024 * 1024;
constexpr size_t kPrintedBodyBytes = 4096;
// One client at a time: a request must arrive whole within this (each read
// also times out after it), so a client that trickles bytes cannot hold
// the receiver.
constexpr absl::Duration kRequestTimeout = absl::Seconds(10);

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Reads what is left of `fd` into `data`, up to sizeof buf at once, before
// `deadline`; false when the connection ended, timed out or is past it.
bool ReadMore(int fd, absl::Time deadline, std::string* data) {
  char buf[16384];
  if (absl::Now() > deadline) return false;
  ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) return false;
  data->append(buf, static_cast<size_t>(n));
  return true;
}

// Reads one HTTP/1.1 request; false (and `error`) when it is not one we take.
bool ReadRequest(int fd, Request* out, std::string* error) {
  const absl::Time deadline = absl::Now() + kRequestTimeout;
  std::string data;
  size_t header_end = std::string::npos;
  while ((header_end = data.find("\r\n\r\n")) == std::string::npos) {
    if (data.size() > kMaxHeaderBytes) return *error = "headers over 64 KiB", false;
    if (!ReadMore(fd, deadline, &data)) {
      return *error = "the headers did not arrive whole within 10 s", false;
    }
  }
  std::vector<std::string> lines = absl::StrSplit(data.substr(0, header_end), "\r\n");
  std::vector<std::string> start = absl::StrSplit(lines[0], ' ');
  if (start.size() != 3) return *error = "malformed request line", false;
  out->method = start[0];
  out->path = start[1];
  for (size_t i = 1; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    out->headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }
  size_t length = 0;
  if (auto it = out->headers.find("content-length"); it != out->headers.end()) {
    if (!absl::SimpleAtoi(it->second, &length)) return *error = "bad content-length", false;
  }
  if (length > kMaxBodyBytes) return *error = "body over 4 MiB", false;
  out->body = data.substr(header_end + 4);
  while (out->body.size() < length) {
    if (!ReadMore(fd, deadline, &out->body)) {
      return *error = "the body did not arrive whole within 10 s", false;
    }
  }
  out->body.resize(length);
  return true;
}

void Reply(int fd, int status, const std::string& text) {
  std::string response =
      absl::StrCat("HTTP/1.1 ", status, status == 200 ? " OK" : " Unauthorized",
                   "\r\nContent-Type: text/plain\r\nContent-Length: ", text.size(),
                   "\r\nConnection: close\r\n\r\n", text);
  (void)!write(fd, response.data(), response.size());
}

// Prints one delivery; returns the HTTP status to answer.
int Report(const Request& r, const std::string& secret) {
  auto header = [&](const char* name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string("-") : it->second;
  };
  std::cout << r.method << " " << ToSafeText(r.path, 200) << "  event=" << header("argus-event")
            << "  delivery=" << header("argus-delivery") << "\n";
  int status = 200;
  if (!secret.empty()) {
    std::vector<SchemeCheck> checks =
        CheckSignatures(r.headers, r.body, secret, absl::ToUnixSeconds(absl::Now()));
    int passed = 0;
    for (const SchemeCheck& c : checks) {
      std::cout << "  " << c.header << ": " << (c.ok ? "verified" : "FAILED (" + c.why + ")")
                << "\n";
      passed += c.ok ? 1 : 0;
    }
    std::cout << "  signatures: " << passed << " of " << checks.size() << " verified\n";
    if (passed != static_cast<int>(checks.size())) status = 401;
  }
  std::cout << "  body: " << ToSafeText(r.body, kPrintedBodyBytes)
            << (r.body.size() > kPrintedBodyBytes ? " …" : "") << std::endl;
  return status;
}

}  // namespace

absl::Status Listen(const ListenOptions& options) {
  if (options.port < 1 || options.port > 65535) {
    return absl::InvalidArgumentError("listen: --port must be in 1..65535");
  }
  if (!options.secret.empty() && !absl::StartsWith(options.secret, "whsec_")) {
    return absl::InvalidArgumentError(
        "listen: --secret must be the endpoint's signing secret (whsec_…)");
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError("listen: cannot create a socket");
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(options.port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 64) != 0) {
    close(fd);
    return absl::UnavailableError(
        absl::StrCat("listen: cannot listen on 127.0.0.1:", options.port, " (in use?)"));
  }
  std::cerr << "argusctl listen: receiving on http://127.0.0.1:" << options.port << "/"
            << (options.secret.empty() ? " (no --secret: signatures not checked)"
                                       : ", checking all three signatures")
            << "; Ctrl-C stops" << std::endl;
  for (int seen = 0; options.count == 0 || seen < options.count;) {
    int client = accept(fd, nullptr, nullptr);
    if (client < 0) continue;
    timeval timeout{.tv_sec = absl::ToInt64Seconds(kRequestTimeout), .tv_usec = 0};
    setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    Request request;
    std::string error;
    if (ReadRequest(client, &request, &error)) {
      int status = Report(request, options.secret);
      Reply(client, status, status == 200 ? "ok\n" : "signature check failed\n");
      ++seen;
    } else {
      std::cerr << "argusctl listen: dropped a request: " << error << std::endl;
    }
    close(client);
  }
  close(fd);
  return absl::OkStatus();
}

}  // namespace argus
