#include "services/event-ingest/publish_validation.h"

#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace argus {
namespace {

absl::StatusOr<bool> Known(absl::string_view type) {
  return type == "user.login" || type == "session.created";
}

absl::StatusOr<NewEvent> Validate(const v1::PublishRequest& req, size_t limit = 1024) {
  return ValidatePublishRequest(req, limit, Known);
}

v1::PublishRequest Request() {
  v1::PublishRequest req;
  req.set_type("user.login");
  return req;
}

void ExpectInvalid(const v1::PublishRequest& req, const std::string& needle, size_t limit = 1024) {
  absl::StatusOr<NewEvent> e = Validate(req, limit);
  ASSERT_FALSE(e.ok()) << needle;
  EXPECT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(absl::StrContains(e.status().message(), needle))
      << e.status().message() << " lacks " << needle;
}

TEST(PublishValidationTest, KeepsDataJsonByteForByte) {
  v1::PublishRequest req = Request();
  req.set_data_json("  {\"b\": 1,  \"a\" : [1.50, \"\\u00e9\"]}\n");
  absl::StatusOr<NewEvent> e = Validate(req);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->payload_json, req.data_json());
  EXPECT_EQ(e->occurred_at, std::nullopt) << "the publisher gave none";
  EXPECT_EQ(e->type, "user.login");
}

TEST(PublishValidationTest, RendersStructOnce) {
  v1::PublishRequest req = Request();
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(R"({"userId":"u1","n":2})", req.mutable_data())
          .ok());
  absl::StatusOr<NewEvent> e = Validate(req);
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(absl::StrContains(e->payload_json, "\"userId\":\"u1\"")) << e->payload_json;
  EXPECT_EQ(e->payload_json.front(), '{');
}

TEST(PublishValidationTest, NoPayloadIsAnEmptyObject) {
  EXPECT_EQ(Validate(Request())->payload_json, "{}");
}

TEST(PublishValidationTest, OccurredAtIsKept) {
  v1::PublishRequest req = Request();
  req.mutable_occurred_at()->set_seconds(1600000000);
  EXPECT_EQ(Validate(req)->occurred_at, absl::FromUnixSeconds(1600000000));
  req.mutable_occurred_at()->set_seconds(-1000000000000);
  ExpectInvalid(req, "occurred_at");
}

TEST(PublishValidationTest, RefusesBadInputNamingIt) {
  v1::PublishRequest req = Request();
  req.clear_type();
  ExpectInvalid(req, "type is required");
  req.set_type("user.teleported");
  ExpectInvalid(req, "user.teleported");

  req = Request();
  req.set_data_json("{not json");
  ExpectInvalid(req, "JSON object");
  req.set_data_json("[1, 2]");
  ExpectInvalid(req, "JSON object");
  req.set_data_json("\"text\"");
  ExpectInvalid(req, "JSON object");
  req.set_data_json("{\"a\": 1} trailing");
  ExpectInvalid(req, "JSON object");
  // Found by fuzzing: the parser stops at a NUL; PostgreSQL cannot store one.
  req.set_data_json(std::string("{\"a\": 1}\0\0", 10));
  ExpectInvalid(req, "JSON object");

  req = Request();
  req.set_data_json("{\"a\": \"" + std::string(2000, 'x') + "\"}");
  ExpectInvalid(req, "the limit is 1024");

  req = Request();
  (*req.mutable_data()->mutable_fields())["a"].set_string_value(std::string(2000, 'x'));
  ExpectInvalid(req, "1024");

  req = Request();
  req.set_data_json("{}");
  (*req.mutable_data()->mutable_fields())["a"].set_number_value(1);
  ExpectInvalid(req, "not both");

  req = Request();
  req.set_project("My Game");
  ExpectInvalid(req, "project");

  req = Request();
  req.set_idempotency_key(std::string(201, 'k'));
  ExpectInvalid(req, "idempotency_key");
  req.set_idempotency_key(std::string(200, 'k'));
  EXPECT_TRUE(Validate(req).ok());
}

TEST(PublishValidationTest, ACatalogThatCannotBeReadIsAnOutageNotAnUnknownType) {
  v1::PublishRequest req;
  req.set_type("user.login");
  absl::StatusOr<NewEvent> event =
      ValidatePublishRequest(req, 1024, [](absl::string_view) -> absl::StatusOr<bool> {
        return absl::UnavailableError("database unreachable");
      });
  EXPECT_EQ(event.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace argus
