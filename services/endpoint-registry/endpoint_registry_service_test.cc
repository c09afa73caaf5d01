// Service tests: a real registry over a real gRPC channel against a real,
// freshly migrated PostgreSQL database.
#include <gtest/gtest.h>
#include <httplib.h>

#include <limits>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/ip_address.h"
#include "common/page_token.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "services/endpoint-registry/registry_harness.h"
#include "tests/support/test_database.h"

namespace argus {
namespace {

using testing::RegistryHarness;
using testing::TestDatabase;

class EndpointRegistryTest : public ::testing::Test {
 protected:
  EndpointRegistryTest()
      : harness_(db_.url()),
        admin_(harness_.MintToken("acme", kScopeAdmin)),
        publisher_(harness_.MintToken("acme", kScopePublish)),
        other_admin_(harness_.MintToken("globex", kScopeAdmin)) {}

  v1::CreateEndpointRequest NativeRequest(const std::string& label = "siem") {
    v1::CreateEndpointRequest req;
    req.set_label(label);
    req.set_url("https://siem.example.com/hooks/argus");
    req.add_event_types("security.*");
    req.add_event_types("user.login");
    (*req.mutable_headers())["Authorization"] = "Bearer receiver-token";
    return req;
  }

  grpc::Status Create(const v1::CreateEndpointRequest& req, v1::CreateEndpointResponse* resp,
                      const std::string& token) {
    return harness_.stub().CreateEndpoint(RegistryHarness::Context(token).get(), req, resp);
  }

  v1::Endpoint CreateOk(const v1::CreateEndpointRequest& req) {
    v1::CreateEndpointResponse resp;
    grpc::Status s = Create(req, &resp, admin_);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.endpoint();
  }

  // Expects `code` with a message containing `needle`.
  static void ExpectError(const grpc::Status& s, grpc::StatusCode code, const std::string& needle) {
    EXPECT_EQ(s.error_code(), code) << s.error_message();
    EXPECT_TRUE(absl::StrContains(s.error_message(), needle))
        << "message \"" << s.error_message() << "\" lacks \"" << needle << "\"";
  }

  TestDatabase db_;
  RegistryHarness harness_;
  std::string admin_;
  std::string publisher_;
  std::string other_admin_;
};

TEST_F(EndpointRegistryTest, CreateReturnsTheSecretOnlyOnce) {
  v1::CreateEndpointResponse created;
  ASSERT_TRUE(Create(NativeRequest(), &created, admin_).ok());
  const v1::Endpoint& e = created.endpoint();
  EXPECT_EQ(e.format(), v1::NATIVE);
  EXPECT_EQ(e.state(), v1::ENABLED);
  EXPECT_EQ(e.headers().at("authorization"), "[redacted]");  // write-only
  ASSERT_TRUE(absl::StartsWith(created.signing_secret(), "whsec_"));
  EXPECT_EQ(created.signing_secret().size(), 6u + 44u);

  v1::GetEndpointRequest get;
  get.set_id(e.id());
  v1::Endpoint fetched;
  ASSERT_TRUE(
      harness_.stub().GetEndpoint(RegistryHarness::Context(admin_).get(), get, &fetched).ok());
  v1::ListEndpointsResponse listed;
  ASSERT_TRUE(
      harness_.stub().ListEndpoints(RegistryHarness::Context(admin_).get(), {}, &listed).ok());
  for (const std::string& text : {fetched.DebugString(), listed.DebugString()}) {
    EXPECT_FALSE(absl::StrContains(text, created.signing_secret()));
    EXPECT_FALSE(absl::StrContains(text, "whsec_"));
    EXPECT_FALSE(absl::StrContains(text, "receiver-token"));
    EXPECT_TRUE(absl::StrContains(text, "authorization"));
  }
  EXPECT_EQ(fetched.label(), "siem");
}

TEST_F(EndpointRegistryTest, SecretIsStoredEncryptedNeverInPlaintext) {
  v1::CreateEndpointResponse created;
  ASSERT_TRUE(Create(NativeRequest(), &created, admin_).ok());
  const std::string& secret = created.signing_secret();
  std::string secret_b64 = secret.substr(6);
  // No column of any row of any table holds the secret or its base64 part.
  std::string hits = db_.QueryValue(
      absl::StrCat("SELECT count(*) FROM (SELECT e::text AS t FROM endpoints e UNION ALL "
                   "SELECT s::text FROM endpoint_secrets s UNION ALL "
                   "SELECT encode(sealed, 'escape') FROM endpoint_secrets) rows "
                   "WHERE t LIKE '%",
                   secret_b64, "%'"));
  EXPECT_EQ(hits, "0");
  // Nor the custom header value (a receiver's credential).
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM endpoints e WHERE e::text LIKE '%receiver-token%' "
                           "OR encode(sealed_headers, 'escape') LIKE '%receiver-token%'"),
            "0");
  std::string sealed_hex = db_.QueryValue(
      absl::StrCat("SELECT encode(sealed, 'hex') FROM endpoint_secrets WHERE endpoint_id = '",
                   created.endpoint().id(), "'"));
  ASSERT_FALSE(sealed_hex.empty());
  std::string sealed;
  for (size_t i = 0; i + 1 < sealed_hex.size(); i += 2) {
    sealed.push_back(static_cast<char>(std::stoi(sealed_hex.substr(i, 2), nullptr, 16)));
  }
  EXPECT_EQ(sealed.find(secret), std::string::npos);
  // It opens with the service key, bound to the endpoint id.
  EXPECT_EQ(*harness_.secret_box().Open(sealed, created.endpoint().id()), secret);
}

TEST_F(EndpointRegistryTest, FormatIsDetectedAndChatFormatsGetNoSecret) {
  v1::CreateEndpointRequest slack = NativeRequest("#perf-alerts Slack");
  slack.set_url("https://hooks.slack.com/services/T000/B000/XXXX");
  v1::CreateEndpointResponse resp;
  ASSERT_TRUE(Create(slack, &resp, admin_).ok());
  EXPECT_EQ(resp.endpoint().format(), v1::SLACK);
  EXPECT_TRUE(resp.signing_secret().empty());

  v1::CreateEndpointRequest discord = NativeRequest("discord");
  discord.set_url("https://discord.com/api/webhooks/123/abc");
  ASSERT_TRUE(Create(discord, &resp, admin_).ok());
  EXPECT_EQ(resp.endpoint().format(), v1::DISCORD);

  v1::CreateEndpointRequest forced = NativeRequest("native on slack host");
  forced.set_url("https://hooks.slack.com/services/T000/B000/YYYY");
  forced.set_format(v1::NATIVE);
  ASSERT_TRUE(Create(forced, &resp, admin_).ok());
  EXPECT_EQ(resp.endpoint().format(), v1::NATIVE);
  EXPECT_FALSE(resp.signing_secret().empty());
}

TEST_F(EndpointRegistryTest, CreateValidationNamesTheProblem) {
  struct Case {
    std::string name;
    std::function<void(v1::CreateEndpointRequest&)> mutate;
    std::string needle;
  };
  std::vector<Case> cases = {
      {"http url", [](auto& r) { r.set_url("http://siem.example.com/hook"); }, "https"},
      {"private literal", [](auto& r) { r.set_url("https://10.1.2.3/hook"); }, "private"},
      {"loopback v6", [](auto& r) { r.set_url("https://[::1]/hook"); }, "loopback"},
      {"decimal loopback", [](auto& r) { r.set_url("https://2130706433/"); }, "loopback"},
      {"metadata", [](auto& r) { r.set_url("https://169.254.169.254/"); }, "link-local"},
      {"userinfo", [](auto& r) { r.set_url("https://example.com@127.0.0.1/"); }, "credentials"},
      {"long url", [](auto& r) { r.set_url("https://example.com/" + std::string(3000, 'a')); },
       "longer"},
      {"empty label", [](auto& r) { r.set_label(""); }, "label"},
      {"long label", [](auto& r) { r.set_label(std::string(201, 'l')); }, "label"},
      {"unknown type", [](auto& r) { r.add_event_types("user.teleported"); }, "user.teleported"},
      {"empty list", [](auto& r) { r.clear_event_types(); }, "at least one"},
      {"reserved header", [](auto& r) { (*r.mutable_headers())["Content-Type"] = "text/plain"; },
       "Content-Type"},
      {"signature header", [](auto& r) { (*r.mutable_headers())["webhook-signature"] = "v1,x"; },
       "reserved"},
      {"crlf header", [](auto& r) { (*r.mutable_headers())["X-A"] = "a\r\nB: c"; },
       "control character 0x0d"},
      {"bad header name", [](auto& r) { (*r.mutable_headers())["bad name"] = "x"; }, "bad name"},
      {"project slug", [](auto& r) { r.set_project("My Game"); }, "project"},
      {"negative retry", [](auto& r) { r.add_retry_schedule()->set_seconds(-1); },
       "retry_schedule[0]"},
      {"rate limit", [](auto& r) { r.set_rate_limit_per_second(1000000); }, "rate_limit"},
      {"format value", [](auto& r) { r.set_format(static_cast<v1::Format>(9)); }, "format"},
      {"ordering value", [](auto& r) { r.set_ordering(static_cast<v1::Ordering>(5)); },
       "ordering: unknown value 5"},
      {"failure value",
       [](auto& r) { r.set_on_ordered_failure(static_cast<v1::OrderedFailure>(3)); },
       "on_ordered_failure"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::CreateEndpointRequest req = NativeRequest();
    c.mutate(req);
    v1::CreateEndpointResponse resp;
    ExpectError(Create(req, &resp, admin_), grpc::StatusCode::INVALID_ARGUMENT, c.needle);
  }
  EXPECT_EQ(db_.QueryValue("SELECT count(*) FROM endpoints"), "0");
}

TEST_F(EndpointRegistryTest, InsecureTargetsAllowLoopbackHttp) {
  TestDatabase db;
  RegistryHarness insecure(db.url(), {.policy = TargetPolicy{.allow_insecure = true}});
  std::string token = insecure.MintToken("acme", kScopeAdmin);
  v1::CreateEndpointRequest req = NativeRequest();
  req.set_url("http://127.0.0.1:8080/hook");
  v1::CreateEndpointResponse resp;
  grpc::Status s =
      insecure.stub().CreateEndpoint(RegistryHarness::Context(token).get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(EndpointRegistryTest, AuthErrors) {
  v1::CreateEndpointResponse resp;
  ExpectError(Create(NativeRequest(), &resp, ""), grpc::StatusCode::UNAUTHENTICATED,
              "authorization");
  ExpectError(Create(NativeRequest(), &resp, "argus_not-a-real-token"),
              grpc::StatusCode::UNAUTHENTICATED, "invalid token");
  ExpectError(Create(NativeRequest(), &resp, publisher_), grpc::StatusCode::PERMISSION_DENIED,
              "admin");
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("authorization", "Basic dXNlcjpwdw==");
  ExpectError(harness_.stub().CreateEndpoint(context.get(), NativeRequest(), &resp),
              grpc::StatusCode::UNAUTHENTICATED, "Bearer");
  v1::ListEventTypesResponse types;
  ExpectError(
      harness_.stub().ListEventTypes(RegistryHarness::Context(publisher_).get(), {}, &types),
      grpc::StatusCode::PERMISSION_DENIED, "admin");
}

TEST_F(EndpointRegistryTest, AnotherOrgsEndpointIsNotFound) {
  v1::Endpoint mine = CreateOk(NativeRequest());
  auto ctx = [&] { return RegistryHarness::Context(other_admin_); };
  v1::Endpoint out;
  v1::GetEndpointRequest get;
  get.set_id(mine.id());
  ExpectError(harness_.stub().GetEndpoint(ctx().get(), get, &out), grpc::StatusCode::NOT_FOUND,
              mine.id());
  v1::UpdateEndpointRequest update;
  update.mutable_endpoint()->set_id(mine.id());
  update.mutable_endpoint()->set_label("stolen");
  ExpectError(harness_.stub().UpdateEndpoint(ctx().get(), update, &out),
              grpc::StatusCode::NOT_FOUND, "not found");
  v1::PauseEndpointRequest pause;
  pause.set_id(mine.id());
  ExpectError(harness_.stub().PauseEndpoint(ctx().get(), pause, &out), grpc::StatusCode::NOT_FOUND,
              "not found");
  v1::ResumeEndpointRequest resume;
  resume.set_id(mine.id());
  ExpectError(harness_.stub().ResumeEndpoint(ctx().get(), resume, &out),
              grpc::StatusCode::NOT_FOUND, "not found");
  v1::DeleteEndpointRequest del;
  del.set_id(mine.id());
  v1::DeleteEndpointResponse deleted;
  ExpectError(harness_.stub().DeleteEndpoint(ctx().get(), del, &deleted),
              grpc::StatusCode::NOT_FOUND, "not found");
  v1::ListEndpointsResponse listed;
  ASSERT_TRUE(harness_.stub().ListEndpoints(ctx().get(), {}, &listed).ok());
  EXPECT_EQ(listed.endpoints_size(), 0);
  // Untouched for its owner.
  ASSERT_TRUE(harness_.stub().GetEndpoint(RegistryHarness::Context(admin_).get(), get, &out).ok());
  EXPECT_EQ(out.label(), "siem");
  EXPECT_EQ(out.state(), v1::ENABLED);
}

TEST_F(EndpointRegistryTest, MalformedIdsAreInvalidArgument) {
  v1::GetEndpointRequest get;
  get.set_id("not-a-uuid");
  v1::Endpoint out;
  ExpectError(harness_.stub().GetEndpoint(RegistryHarness::Context(admin_).get(), get, &out),
              grpc::StatusCode::INVALID_ARGUMENT, "UUID");
  get.set_id("");
  ExpectError(harness_.stub().GetEndpoint(RegistryHarness::Context(admin_).get(), get, &out),
              grpc::StatusCode::INVALID_ARGUMENT, "required");
}

TEST_F(EndpointRegistryTest, UpdateChangesOnlyMaskedFieldsAndUrlFormatAreReadOnly) {
  v1::Endpoint e = CreateOk(NativeRequest());
  v1::UpdateEndpointRequest req;
  req.mutable_endpoint()->set_id(e.id());
  req.mutable_endpoint()->set_label("soc siem");
  req.mutable_endpoint()->add_event_types("mfa.*");
  req.mutable_endpoint()->add_retry_schedule()->set_nanos(750000000);
  req.mutable_update_mask()->add_paths("label");
  req.mutable_update_mask()->add_paths("event_types");
  req.mutable_update_mask()->add_paths("retry_schedule");
  v1::Endpoint out;
  grpc::Status s =
      harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), req, &out);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(out.label(), "soc siem");
  ASSERT_EQ(out.event_types_size(), 1);
  EXPECT_EQ(out.event_types(0), "mfa.*");
  ASSERT_EQ(out.retry_schedule_size(), 1);
  EXPECT_EQ(out.retry_schedule(0).nanos(), 750000000);
  EXPECT_EQ(out.headers().at("authorization"), "[redacted]");  // not in the mask, kept
  EXPECT_NE(db_.QueryValue(absl::StrCat(
                "SELECT sealed_headers IS NOT NULL FROM endpoints WHERE id = '", e.id(), "'")),
            "f");
  EXPECT_EQ(out.url(), e.url());

  for (const char* field : {"url", "format"}) {
    v1::UpdateEndpointRequest ro;
    ro.mutable_endpoint()->set_id(e.id());
    ro.mutable_endpoint()->set_url("https://elsewhere.example.com/");
    ro.mutable_endpoint()->set_format(v1::SLACK);
    ro.mutable_update_mask()->add_paths(field);
    ExpectError(harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), ro, &out),
                grpc::StatusCode::INVALID_ARGUMENT, std::string(field) + " is read-only");
  }
  // Without a mask, a set url is refused the same way.
  v1::UpdateEndpointRequest no_mask;
  no_mask.mutable_endpoint()->set_id(e.id());
  no_mask.mutable_endpoint()->set_url("https://elsewhere.example.com/");
  ExpectError(harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), no_mask, &out),
              grpc::StatusCode::INVALID_ARGUMENT, "url is read-only");

  v1::UpdateEndpointRequest bad_types;
  bad_types.mutable_endpoint()->set_id(e.id());
  bad_types.mutable_endpoint()->add_event_types("nope.*");
  ExpectError(
      harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), bad_types, &out),
      grpc::StatusCode::INVALID_ARGUMENT, "nope.*");
  v1::UpdateEndpointRequest bad_header;
  bad_header.mutable_endpoint()->set_id(e.id());
  (*bad_header.mutable_endpoint()->mutable_headers())["Host"] = "evil";
  ExpectError(
      harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), bad_header, &out),
      grpc::StatusCode::INVALID_ARGUMENT, "Host");
  v1::UpdateEndpointRequest nothing;
  nothing.mutable_endpoint()->set_id(e.id());
  ExpectError(harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), nothing, &out),
              grpc::StatusCode::INVALID_ARGUMENT, "nothing to update");
  v1::UpdateEndpointRequest bad_path = req;
  bad_path.mutable_update_mask()->add_paths("state");
  ExpectError(
      harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), bad_path, &out),
      grpc::StatusCode::INVALID_ARGUMENT, "\"state\" cannot be updated");
}

TEST_F(EndpointRegistryTest, OrderingChangesNumberTheQueuedDeliveriesNotYetStarted) {
  v1::Endpoint e = CreateOk(NativeRequest());
  EXPECT_EQ(e.ordering(), v1::ORDERING_UNSPECIFIED);
  EXPECT_EQ(e.on_ordered_failure(), v1::PAUSE);
  // Three queued deliveries, created one after another; the second has
  // been attempted already (started: it stays unordered).
  for (int i = 0; i < 3; ++i) {
    db_.QueryValue(absl::StrCat(
        "WITH ev AS (INSERT INTO events (org_id, type, occurred_at, payload) "
        "SELECT org_id, 'user.login', now(), '{\"i\":",
        i, "}' FROM endpoints WHERE id = '", e.id(),
        "' RETURNING id, org_id, bucket_at), d AS (INSERT INTO deliveries "
        "(event_id, endpoint_id, org_id, created_at) SELECT ev.id, '",
        e.id(), "', ev.org_id, now() + interval '", i,
        " ms' FROM ev RETURNING id, bucket_at, event_id, endpoint_id) "
        "INSERT INTO delivery_queue (delivery_id, bucket_at, event_id, endpoint_id, attempts) "
        "SELECT id, bucket_at, event_id, endpoint_id, ",
        i == 1 ? 1 : 0, " FROM d RETURNING 1"));
  }
  auto queue = [&] {
    return db_.QueryValue(absl::StrCat(
        "SELECT string_agg(coalesce(q.sequence::text, '-') || ':' || q.hold, ',' ORDER BY "
        "d.created_at) FROM delivery_queue q JOIN deliveries d ON d.id = q.delivery_id "
        "WHERE q.endpoint_id = '",
        e.id(), "'"));
  };
  v1::UpdateEndpointRequest req;
  req.mutable_endpoint()->set_id(e.id());
  req.mutable_endpoint()->set_ordering(v1::ORDERED);
  req.mutable_endpoint()->set_on_ordered_failure(v1::SKIP);
  v1::Endpoint out;
  ASSERT_TRUE(
      harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), req, &out).ok());
  EXPECT_EQ(out.ordering(), v1::ORDERED);
  EXPECT_EQ(out.on_ordered_failure(), v1::SKIP);
  EXPECT_EQ(queue(), "1:0,-:0,2:3") << "the first is the head, the started one stays unordered";
  // Setting it again changes nothing; unordered again, nothing waits.
  ASSERT_TRUE(
      harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), req, &out).ok());
  EXPECT_EQ(queue(), "1:0,-:0,2:3");
  req.mutable_endpoint()->set_ordering(v1::ORDERING_UNSPECIFIED);
  req.mutable_update_mask()->add_paths("ordering");
  ASSERT_TRUE(
      harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), req, &out).ok());
  EXPECT_EQ(out.ordering(), v1::ORDERING_UNSPECIFIED);
  EXPECT_EQ(queue(), "-:0,-:0,-:0");

  req.mutable_endpoint()->set_ordering(static_cast<v1::Ordering>(4));
  ExpectError(harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), req, &out),
              grpc::StatusCode::INVALID_ARGUMENT, "ordering: unknown value 4");
}

TEST_F(EndpointRegistryTest, PauseResumeDelete) {
  v1::Endpoint e = CreateOk(NativeRequest());
  // A pending delivery, so Delete has something to cancel.
  db_.QueryValue(
      absl::StrCat("WITH ev AS (INSERT INTO events (org_id, type, occurred_at, payload) "
                   "SELECT org_id, 'user.login', now(), '{}' FROM endpoints WHERE id = '",
                   e.id(),
                   "' RETURNING id, org_id) INSERT INTO deliveries (event_id, endpoint_id, org_id) "
                   "SELECT ev.id, '",
                   e.id(), "', ev.org_id FROM ev RETURNING id"));

  v1::Endpoint out;
  v1::PauseEndpointRequest pause;
  pause.set_id(e.id());
  ASSERT_TRUE(
      harness_.stub().PauseEndpoint(RegistryHarness::Context(admin_).get(), pause, &out).ok());
  EXPECT_EQ(out.state(), v1::PAUSED);
  v1::ResumeEndpointRequest resume;
  resume.set_id(e.id());
  ASSERT_TRUE(
      harness_.stub().ResumeEndpoint(RegistryHarness::Context(admin_).get(), resume, &out).ok());
  EXPECT_EQ(out.state(), v1::ENABLED);

  v1::DeleteEndpointRequest del;
  del.set_id(e.id());
  v1::DeleteEndpointResponse deleted;
  ASSERT_TRUE(
      harness_.stub().DeleteEndpoint(RegistryHarness::Context(admin_).get(), del, &deleted).ok());
  EXPECT_EQ(deleted.cancelled_deliveries(), 1);
  EXPECT_EQ(db_.QueryValue("SELECT state FROM deliveries"), "5");
  EXPECT_EQ(db_.QueryValue(absl::StrCat(
                "SELECT count(*) FROM endpoint_secrets WHERE endpoint_id = '", e.id(), "'")),
            "0");
  v1::GetEndpointRequest get;
  get.set_id(e.id());
  EXPECT_EQ(
      harness_.stub().GetEndpoint(RegistryHarness::Context(admin_).get(), get, &out).error_code(),
      grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(harness_.stub()
                .DeleteEndpoint(RegistryHarness::Context(admin_).get(), del, &deleted)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(EndpointRegistryTest, ListPaginatesAndRejectsForgedTokens) {
  std::set<std::string> created;
  for (int i = 0; i < 5; ++i) created.insert(CreateOk(NativeRequest(absl::StrCat("e", i))).id());
  std::set<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListEndpointsRequest req;
    req.set_page_size(2);
    req.set_page_token(token);
    v1::ListEndpointsResponse resp;
    ASSERT_TRUE(
        harness_.stub().ListEndpoints(RegistryHarness::Context(admin_).get(), req, &resp).ok());
    EXPECT_LE(resp.endpoints_size(), 2);
    for (const auto& e : resp.endpoints()) EXPECT_TRUE(seen.insert(e.id()).second);
    token = resp.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, created);

  v1::ListEndpointsRequest bad;
  bad.set_page_token("forged-token");
  v1::ListEndpointsResponse resp;
  ExpectError(harness_.stub().ListEndpoints(RegistryHarness::Context(admin_).get(), bad, &resp),
              grpc::StatusCode::INVALID_ARGUMENT, "page_token");
  v1::ListEndpointsRequest negative;
  negative.set_page_size(-5);
  ExpectError(
      harness_.stub().ListEndpoints(RegistryHarness::Context(admin_).get(), negative, &resp),
      grpc::StatusCode::INVALID_ARGUMENT, "page_size");
  // Well-formed tokens with times no row can have: refused, not a SQL error.
  for (int64_t t : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
    v1::ListEndpointsRequest extreme;
    extreme.set_page_token(EncodePageToken({t, *created.begin()}));
    ExpectError(
        harness_.stub().ListEndpoints(RegistryHarness::Context(admin_).get(), extreme, &resp),
        grpc::StatusCode::INVALID_ARGUMENT, "page_token");
  }
}

TEST_F(EndpointRegistryTest, HostileFieldsAreInvalidArgumentNeverInternal) {
  v1::Endpoint e = CreateOk(NativeRequest());
  v1::RecoverFailedRequest recover;
  recover.set_endpoint_id(e.id());
  v1::RecoverFailedResponse recovered;
  for (int64_t seconds : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                          int64_t{253402300800}}) {
    recover.mutable_since()->set_seconds(seconds);
    ExpectError(
        harness_.stub().RecoverFailed(RegistryHarness::Context(admin_).get(), recover, &recovered),
        grpc::StatusCode::INVALID_ARGUMENT, "since is not a valid timestamp");
  }
  v1::GetEndpointRequest get;
  get.set_id("\xff\xfe");
  v1::Endpoint out;
  ExpectError(harness_.stub().GetEndpoint(RegistryHarness::Context(admin_).get(), get, &out),
              grpc::StatusCode::INVALID_ARGUMENT, "id is not valid UTF-8");
  // The redaction placeholder read back and sent again would erase the real value.
  v1::UpdateEndpointRequest update;
  update.mutable_endpoint()->set_id(e.id());
  (*update.mutable_endpoint()->mutable_headers())["authorization"] = "[redacted]";
  update.mutable_update_mask()->add_paths("headers");
  ExpectError(harness_.stub().UpdateEndpoint(RegistryHarness::Context(admin_).get(), update, &out),
              grpc::StatusCode::INVALID_ARGUMENT, "placeholder");
}

TEST_F(EndpointRegistryTest, ListEventTypesHasTheWholeCatalog) {
  v1::ListEventTypesResponse resp;
  ASSERT_TRUE(
      harness_.stub().ListEventTypes(RegistryHarness::Context(admin_).get(), {}, &resp).ok());
  std::set<std::string> names;
  for (const auto& t : resp.event_types()) names.insert(t.name());
  for (const char* expected :
       {"test_session.completed", "session.created", "billing.payment_failed", "user.login",
        "mfa.passkey_registered", "security.password_breached", "sso.provider_unlinked",
        "org.member_role_changed", "auth_session.limit_reached", "oauth.token_revoked",
        "alert.triggered", "deploy.marker", "incident.performance", "anomaly.alert", "webhook.test",
        "endpoint.disabled"}) {
    EXPECT_TRUE(names.count(expected)) << expected;
  }
  EXPECT_EQ(names.size(), 42u);
}

TEST_F(EndpointRegistryTest, RotationIsForSignedEndpointsOnly) {
  v1::CreateEndpointRequest slack = NativeRequest("slack");
  slack.set_url("https://hooks.slack.com/services/T/B/X");
  v1::Endpoint e = CreateOk(slack);
  v1::RotateSecretRequest req;
  req.set_id(e.id());
  v1::RotateSecretResponse resp;
  ExpectError(harness_.stub().RotateSecret(RegistryHarness::Context(admin_).get(), req, &resp),
              grpc::StatusCode::FAILED_PRECONDITION, "no secret");
  req.mutable_grace_period()->set_seconds(-1);
  ExpectError(harness_.stub().RotateSecret(RegistryHarness::Context(admin_).get(), req, &resp),
              grpc::StatusCode::INVALID_ARGUMENT, "grace_period");
}

TEST_F(EndpointRegistryTest, HealthAndRpcMetrics) {
  TestDatabase db;
  RegistryHarness harness(db.url(), {.serve_metrics = true});
  std::string admin = harness.MintToken("acme", kScopeAdmin);
  auto health = grpc::health::v1::Health::NewStub(harness.channel());
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  ASSERT_TRUE(health->Check(RegistryHarness::Context("").get(), req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  req.set_service("argus.webhooks.v1.EndpointRegistry");
  ASSERT_TRUE(health->Check(RegistryHarness::Context("").get(), req, &resp).ok());
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  req.set_service("nope.Service");
  EXPECT_EQ(health->Check(RegistryHarness::Context("").get(), req, &resp).error_code(),
            grpc::StatusCode::NOT_FOUND);

  v1::CreateEndpointResponse created;
  EXPECT_EQ(harness.stub()
                .CreateEndpoint(RegistryHarness::Context("").get(), NativeRequest(), &created)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(harness.stub()
                  .CreateEndpoint(RegistryHarness::Context(admin).get(), NativeRequest(), &created)
                  .ok());
  httplib::Client metrics("127.0.0.1", harness.metrics_port());
  auto scraped = metrics.Get("/metrics");
  ASSERT_TRUE(scraped);
  EXPECT_TRUE(
      absl::StrContains(scraped->body,
                        "grpc_server_handled_total{grpc_code=\"OK\",grpc_method=\"CreateEndpoint\","
                        "grpc_service=\"argus.webhooks.v1.EndpointRegistry\"} 1"))
      << scraped->body;
  EXPECT_TRUE(absl::StrContains(scraped->body,
                                "grpc_server_handled_total{grpc_code=\"Unauthenticated\","
                                "grpc_method=\"CreateEndpoint\""));
  EXPECT_TRUE(absl::StrContains(scraped->body, "grpc_server_handling_seconds_bucket{"));
}

}  // namespace
}  // namespace argus
