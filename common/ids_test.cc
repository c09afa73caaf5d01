#include "common/ids.h"

#include <gtest/gtest.h>

#include <limits>

#include "absl/strings/match.h"
#include "common/page_token.h"

namespace argus {
namespace {

TEST(IdsTest, NewUuidIsVersion4) {
  std::string id = NewUuid();
  EXPECT_TRUE(IsUuid(id)) << id;
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(id, NewUuid());
  EXPECT_FALSE(IsUuid("0e8c4f3b1a2d4e5f6789abcdef012345"));
  EXPECT_FALSE(IsUuid("0e8c4f3b-1a2d-4e5f-8789-abcdef01234z"));
  EXPECT_TRUE(absl::StrContains(CheckUuidField("id", "x").message(), "id must be a UUID"));
  EXPECT_TRUE(absl::StrContains(CheckUuidField("id", "").message(), "id is required"));
}

TEST(PageTokenTest, RoundTripsAndRejectsForgeries) {
  PageCursor cursor{1714742400123456, NewUuid()};
  auto decoded = DecodePageToken(EncodePageToken(cursor));
  ASSERT_TRUE(decoded.ok());
  ASSERT_TRUE(decoded->has_value());
  EXPECT_EQ((*decoded)->time_us, cursor.time_us);
  EXPECT_EQ((*decoded)->id, cursor.id);
  EXPECT_FALSE(DecodePageToken("")->has_value());
  for (const char* bad : {"garbage!", "djE6eDp5", "AAAA"}) {
    auto d = DecodePageToken(bad);
    ASSERT_FALSE(d.ok()) << bad;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_TRUE(absl::StrContains(d.status().message(), "page_token"));
  }
}

TEST(PageTokenTest, ExtremeTimesAreInvalidArgumentNotADatabaseError) {
  for (int64_t t : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min(),
                    int64_t{253402300800} * 1000000}) {
    auto d = DecodePageToken(EncodePageToken({t, NewUuid()}));
    ASSERT_FALSE(d.ok()) << t;
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(DecodePageToken(EncodePageToken({-62135596800LL * 1000000, NewUuid()})).ok());
}

TEST(PageTokenTest, PageSizes) {
  EXPECT_EQ(*EffectivePageSize(0), 50);
  EXPECT_EQ(*EffectivePageSize(7), 7);
  EXPECT_EQ(*EffectivePageSize(1000), 100);
  EXPECT_EQ(EffectivePageSize(-1).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace argus
