#include "common/sealed_headers.h"

#include <gtest/gtest.h>

namespace argus {
namespace {

constexpr char kKey[] = "vPFH8MlGDn0zbitEqCpd17kGHcApiOrJN51vz1Llcuc=";

TEST(SealedHeadersTest, RoundTripsBoundToTheEndpoint) {
  SecretBox box = *SecretBox::FromBase64Key(kKey);
  std::map<std::string, std::string> headers = {{"authorization", "Bearer s3cret"},
                                                {"x-empty", ""}};
  std::string sealed = SealHeaders(box, headers, "endpoint-a");
  EXPECT_EQ(sealed.find("s3cret"), std::string::npos);
  EXPECT_EQ(*OpenHeaders(box, sealed, "endpoint-a"), headers);
  EXPECT_EQ(OpenHeaders(box, sealed, "endpoint-b").status().code(), absl::StatusCode::kDataLoss);
}

TEST(SealedHeadersTest, RedactionKeepsNamesOnly) {
  auto redacted = RedactHeaders({{"authorization", "Bearer s3cret"}});
  EXPECT_EQ(redacted.at("authorization"), kRedactedHeaderValue);
}

}  // namespace
}  // namespace argus
