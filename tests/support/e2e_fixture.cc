#include "tests/support/e2e_fixture.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "tests/support/service_harness.h"

namespace argus::testing {
namespace {

std::string Hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string Hex(const std::string& bytes) { return absl::BytesToHexString(bytes); }

}  // namespace

void E2eTest::StartSuite(int deliverers, std::vector<std::string> deliverer_flags, int debouncers) {
  suite_ = std::make_unique<Suite>(
      db_.url(), SuiteOptions(deliverers, std::move(deliverer_flags), debouncers));
}

Suite::Options E2eTest::SuiteOptions(int deliverers, std::vector<std::string> deliverer_flags,
                                     int debouncers) const {
  std::vector<std::string> flags = {"--ca_bundle",
                                    ca_.ca_cert(),
                                    "--allowed_target_cidrs",
                                    "127.0.0.0/8",
                                    "--request_timeout",
                                    "2s",
                                    "--lease",
                                    "5s",
                                    "--poll_interval",
                                    "200ms"};
  flags.insert(flags.end(), deliverer_flags.begin(), deliverer_flags.end());
  return {.registry_flags = {"--allowed_target_cidrs", "127.0.0.0/8"},
          .deliverer_flags = flags,
          .deliverers = deliverers,
          .debouncer_flags = {"--quiet_window", "2s"},
          .debouncers = debouncers};
}

E2eTest::Created E2eTest::CreateEndpoint(const std::string& url,
                                         std::vector<std::string> event_types,
                                         std::vector<std::string> retry_schedule,
                                         v1::Format format) {
  v1::CreateEndpointRequest req;
  req.set_label("e2e");
  req.set_url(url);
  req.set_format(format);
  for (const auto& t : event_types) req.add_event_types(t);
  for (const auto& d : retry_schedule) {
    absl::Duration parsed;
    EXPECT_TRUE(absl::ParseDuration(d, &parsed));
    int64_t nanos = absl::ToInt64Nanoseconds(parsed);
    auto* out = req.add_retry_schedule();
    out->set_seconds(nanos / 1000000000);
    out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  }
  (*req.mutable_headers())["x-team"] = "soc";
  v1::CreateEndpointResponse resp;
  grpc::Status s = suite_->registry().CreateEndpoint(
      ServiceHarness::Context(suite_->admin_token()).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return {resp.endpoint().id(), resp.signing_secret()};
}

std::string E2eTest::Publish(const std::string& type, const std::string& data_json,
                             const std::string& project) {
  v1::PublishRequest req;
  req.set_type(type);
  req.set_project(project);
  req.set_data_json(data_json);
  v1::PublishResponse resp;
  grpc::Status s =
      suite_->ingest().Publish(ServiceHarness::Context(suite_->publish_token()).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return resp.event_id();
}

bool E2eTest::WaitUntil(const std::function<bool()>& condition, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(25));
  }
  return condition();
}

std::string E2eTest::DeliveryState(const std::string& event_id,
                                   const std::string& endpoint_id) const {
  return db_.QueryValue(absl::StrCat("SELECT state FROM deliveries WHERE event_id = '", event_id,
                                     "' AND endpoint_id = '", endpoint_id, "'"));
}

bool E2eTest::WaitForState(const std::string& event_id, const std::string& endpoint_id,
                           const std::string& state, absl::Duration timeout) const {
  return WaitUntil([&] { return DeliveryState(event_id, endpoint_id) == state; }, timeout);
}

std::string VerifySignatures(const ReceivedRequest& r, const std::string& secret) {
  auto header = [&](const char* name) {
    auto it = r.headers.find(name);
    return it == r.headers.end() ? std::string() : it->second;
  };
  // argus-signature: t=<unix>,v1=<hex> over "<t>.<body>" with the secret string.
  std::string t;
  std::vector<std::string> v1s;
  for (absl::string_view part : absl::StrSplit(header("argus-signature"), ',')) {
    if (absl::StartsWith(part, "t=")) t = std::string(part.substr(2));
    if (absl::StartsWith(part, "v1=")) v1s.push_back(std::string(part.substr(3)));
  }
  if (t.empty() ||
      std::find(v1s.begin(), v1s.end(), Hex(Hmac(secret, t + "." + r.body))) == v1s.end()) {
    return "argus-signature does not verify";
  }
  // Standard Webhooks.
  std::string key;
  if (!absl::Base64Unescape(secret.substr(6), &key)) return "secret is not whsec_<base64>";
  std::string expected =
      "v1," + absl::Base64Escape(Hmac(
                  key, header("webhook-id") + "." + header("webhook-timestamp") + "." + r.body));
  std::vector<std::string> standard = absl::StrSplit(header("webhook-signature"), ' ');
  if (std::find(standard.begin(), standard.end(), expected) == standard.end()) {
    return "webhook-signature does not verify";
  }
  if (header("webhook-timestamp") != t) return "webhook-timestamp differs from t";
  // x-argus-signature: sha256=<hex> over the body.
  std::vector<std::string> plain = absl::StrSplit(header("x-argus-signature"), ',');
  if (std::find(plain.begin(), plain.end(), "sha256=" + Hex(Hmac(secret, r.body))) == plain.end()) {
    return "x-argus-signature does not verify";
  }
  int64_t ts = 0;
  if (!absl::SimpleAtoi(t, &ts) || std::abs(absl::ToUnixSeconds(absl::Now()) - ts) > 300) {
    return "timestamp is not current";
  }
  return "";
}

}  // namespace argus::testing
