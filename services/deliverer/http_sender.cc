#include "services/deliverer/http_sender.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstdio>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/ip_address.h"
#include "common/log.h"
#include "common/utf8_text.h"

namespace argus {

// What every transfer shares: the policy and the trusted CAs.
struct HttpSender::Shared {
  TargetPolicy policy;
  // The system CAs and --ca_bundle's, parsed once: every new TLS connection
  // shares this store instead of reading the system bundle again.
  X509_STORE* trust = nullptr;
  CURLM* multi = nullptr;

  ~Shared() {
    X509_STORE_free(trust);
    if (multi != nullptr) curl_multi_cleanup(multi);
  }
};

struct HttpSender::Transfer {
  HttpRequest request;
  std::function<void(HttpResult)> done;
  const Shared* shared = nullptr;
  // The request's header lines as libcurl's list, pointing into
  // request.headers (no copies): libcurl only reads the list.
  std::vector<curl_slist> header_list;
  HttpResult result;
  bool ssrf_blocked = false;
  std::string blocked_reason;
};

namespace {

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<HttpSender::Transfer*>(user);
  size_t bytes = size * n;
  std::string& body = t->result.body;  // raw bytes here; made safe text when finished
  if (body.size() < kMaxResponseBodyBytes) {
    body.append(data, std::min(bytes, kMaxResponseBodyBytes - body.size()));
  }
  return bytes;  // read (and drop) the rest, so the connection stays reusable
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<HttpSender::Transfer*>(user);
  absl::string_view line(data, size * n);
  constexpr absl::string_view kRetryAfter = "retry-after:";
  if (absl::StartsWithIgnoreCase(line, kRetryAfter)) {
    t->result.retry_after =
        std::string(absl::StripAsciiWhitespace(line.substr(kRetryAfter.size())).substr(0, 64));
  }
  return size * n;
}

// Called with the address libcurl is about to connect to: the one place the
// SSRF check can't be fooled by DNS.
curl_socket_t OnOpenSocket(void* user, curlsocktype purpose, curl_sockaddr* addr) {
  auto* t = static_cast<HttpSender::Transfer*>(user);
  std::optional<IpAddress> ip = FromSockaddr(&addr->addr);
  absl::Status allowed = ip ? CheckConnectAddress(*ip, t->shared->policy)
                            : absl::PermissionDeniedError("not an IP socket");
  if (!allowed.ok()) {
    t->ssrf_blocked = true;
    t->blocked_reason = std::string(allowed.message());
    return CURL_SOCKET_BAD;
  }
  return socket(addr->family, addr->socktype, addr->protocol);
}

CURLcode OnSslContext(CURL*, void* ssl_ctx, void* user) {
  auto* shared = static_cast<const HttpSender::Shared*>(user);
  X509_STORE_up_ref(shared->trust);
  SSL_CTX_set_cert_store(static_cast<SSL_CTX*>(ssl_ctx), shared->trust);
  return CURLE_OK;
}

AttemptError ErrorOf(CURLcode code, bool ssrf_blocked) {
  if (ssrf_blocked) return AttemptError::kSsrfBlocked;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
      return AttemptError::kDns;
    case CURLE_OPERATION_TIMEDOUT:
      return AttemptError::kTimeout;
    case CURLE_COULDNT_CONNECT:
      return AttemptError::kConnect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
      return AttemptError::kTls;
    default:
      return AttemptError::kNetwork;
  }
}

// What can be refused before any DNS or connect: the scheme and an
// address literal. Names are checked where they are dialled (OnOpenSocket).
absl::Status CheckStoredTarget(const std::string& raw, const TargetPolicy& policy) {
  absl::StatusOr<TargetUrl> url = ParseTargetUrl(raw);
  if (!url.ok()) return url.status();
  if (url->scheme != "https" && !policy.allow_insecure) {
    return absl::PermissionDeniedError(
        "only https targets are allowed (this deliverer runs without --allow_insecure_targets)");
  }
  if (url->ip) return CheckConnectAddress(*url->ip, policy);
  return absl::OkStatus();
}

// The system's CAs and those in `ca_bundle` ("" = none) into `store`.
absl::Status LoadTrust(const std::string& ca_bundle, X509_STORE* store) {
  if (X509_STORE_set_default_paths(store) != 1) {
    return absl::InternalError("cannot load the system's CA certificates");
  }
  if (ca_bundle.empty()) return absl::OkStatus();
  FILE* f = std::fopen(ca_bundle.c_str(), "r");
  if (f == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("--ca_bundle: cannot read ", ca_bundle));
  }
  int added = 0;
  while (X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr)) {
    added += X509_STORE_add_cert(store, cert);
    X509_free(cert);
  }
  std::fclose(f);
  ERR_clear_error();  // the end of the file reads as an error
  if (added == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("--ca_bundle: no PEM certificates in ", ca_bundle));
  }
  return absl::OkStatus();
}

// Finished easy handles are kept for the next transfers (at most this
// many): a new one is a large allocation, and its fixed options below are
// set once.
constexpr size_t kMaxIdleHandles = 1024;

// libcurl adds "Expect: 100-continue" to large POSTs; receivers don't need it.
char kNoExpect[] = "Expect:";

}  // namespace

absl::StatusOr<std::unique_ptr<HttpSender>> HttpSender::Create(Options options) {
  static const CURLcode kGlobalInit = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (kGlobalInit != CURLE_OK) return absl::InternalError("curl_global_init failed");
  auto shared = std::make_unique<Shared>();
  shared->policy = std::move(options.policy);
  shared->trust = X509_STORE_new();
  if (shared->trust == nullptr) return absl::ResourceExhaustedError("cannot allocate a CA store");
  if (absl::Status loaded = LoadTrust(options.ca_bundle, shared->trust); !loaded.ok()) {
    return loaded;
  }
  shared->multi = curl_multi_init();
  curl_multi_setopt(shared->multi, CURLMOPT_MAXCONNECTS, 512L);
  return std::unique_ptr<HttpSender>(new HttpSender(std::move(shared)));
}

HttpSender::HttpSender(std::unique_ptr<Shared> shared)
    : shared_(std::move(shared)), thread_([this] { Loop(); }) {}

HttpSender::~HttpSender() {
  stop_ = true;
  curl_multi_wakeup(shared_->multi);
  thread_.join();
}

void HttpSender::Send(HttpRequest request, std::function<void(HttpResult)> done) {
  // A target stored under another policy (http:// or a private address
  // literal before --allow_insecure_targets was turned off) is refused for
  // good, not retried as a network error.
  absl::Status allowed = CheckStoredTarget(request.url, shared_->policy);
  if (!allowed.ok()) {
    HttpResult refused;
    refused.error = AttemptError::kSsrfBlocked;
    refused.body = std::string(allowed.message());
    refused.started = absl::Now();
    done(std::move(refused));
    return;
  }
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  t->shared = shared_.get();
  ++in_flight_;
  {
    MutexLock lock(&mu_);
    incoming_.push_back(std::move(t));
  }
  curl_multi_wakeup(shared_->multi);
}

void HttpSender::Loop() {
  CURLM* multi = shared_->multi;
  const bool insecure = shared_->policy.allow_insecure;
  std::set<CURL*> active;
  std::vector<CURL*> idle;
  auto new_handle = [&] {
    CURL* e = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, insecure ? "http,https" : "https");
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    // Trust comes from Shared::trust (OnSslContext), not a file per connection.
    curl_easy_setopt(e, CURLOPT_CAINFO, nullptr);
    curl_easy_setopt(e, CURLOPT_CAPATH, nullptr);
    curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, OnSslContext);
    curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, shared_.get());
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, OnHeader);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, OnOpenSocket);
    return e;
  };
  auto start = [&](std::unique_ptr<Transfer> t) {
    CURL* e = nullptr;
    if (idle.empty()) {
      e = new_handle();
    } else {
      e = idle.back();
      idle.pop_back();
    }
    std::vector<curl_slist>& list = t->header_list;
    list.resize(t->request.headers.size() + 1);
    for (size_t i = 0; i < t->request.headers.size(); ++i) {
      list[i] = {t->request.headers[i].data(), &list[i + 1]};
    }
    list.back() = {kNoExpect, nullptr};
    curl_easy_setopt(e, CURLOPT_URL, t->request.url.c_str());
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->request.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(t->request.body.size()));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, list.data());
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
                     static_cast<long>(absl::ToInt64Milliseconds(t->request.timeout)));
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    t->result.started = absl::Now();
    curl_multi_add_handle(multi, e);
    active.insert(e);
    t.release();  // owned through CURLOPT_PRIVATE until finished
  };
  auto finish = [&](CURL* e, CURLcode code) {
    Transfer* raw = nullptr;
    curl_easy_getinfo(e, CURLINFO_PRIVATE, &raw);
    std::unique_ptr<Transfer> t(raw);
    curl_multi_remove_handle(multi, e);
    active.erase(e);
    t->result.duration = absl::Now() - t->result.started;
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
      t->result.status_code = static_cast<int>(status);
      // Whatever the receiver sent (invalid UTF-8, NUL, a character cut
      // at 1 KiB) is recorded as valid text.
      t->result.body = ToSafeText(t->result.body, kMaxResponseBodyBytes);
    } else {
      t->result.error = ErrorOf(code, t->ssrf_blocked);
      t->result.body = t->ssrf_blocked ? t->blocked_reason : curl_easy_strerror(code);
      t->result.retry_after.reset();
    }
    if (idle.size() < kMaxIdleHandles) {
      idle.push_back(e);
    } else {
      curl_easy_cleanup(e);
    }
    --in_flight_;
    t->done(std::move(t->result));
  };

  while (!stop_) {
    std::deque<std::unique_ptr<Transfer>> batch;
    {
      MutexLock lock(&mu_);
      batch.swap(incoming_);
    }
    for (auto& t : batch) start(std::move(t));
    int running = 0;
    curl_multi_perform(multi, &running);
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg == CURLMSG_DONE) finish(msg->easy_handle, msg->data.result);
    }
    curl_multi_poll(multi, nullptr, 0, 100, nullptr);
  }
  // Shutting down: whatever is still running or queued ends as "network".
  {
    MutexLock lock(&mu_);
    for (auto& t : incoming_) start(std::move(t));
    incoming_.clear();
  }
  while (!active.empty()) finish(*active.begin(), CURLE_ABORTED_BY_CALLBACK);
  for (CURL* e : idle) curl_easy_cleanup(e);
}

}  // namespace argus
