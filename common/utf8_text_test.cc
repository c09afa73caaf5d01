#include "common/utf8_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace argus {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";

TEST(Utf8TextTest, ValidTextIsKept) {
  EXPECT_EQ(ToSafeText("héllo\tworld\r\n", 1024), "héllo\tworld\r\n");
  EXPECT_TRUE(IsValidUtf8("héllo €𝄞"));
}

TEST(Utf8TextTest, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(ToSafeText("a\xff"
                       "b",
                       1024),
            std::string("a") + kReplacement + "b");
  EXPECT_EQ(ToSafeText("\xC0\xAF", 1024), std::string(kReplacement) + kReplacement);  // overlong
  EXPECT_EQ(ToSafeText("\xED\xA0\x80", 1024),                                         // a surrogate
            std::string(kReplacement) + kReplacement + kReplacement);
  EXPECT_EQ(ToSafeText("\xF4\x90\x80\x80", 1024).find("\xF4"), std::string::npos);  // > U+10FFFF
  EXPECT_FALSE(IsValidUtf8("a\xff"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));  // cut short
}

TEST(Utf8TextTest, NulAndControlsBecomeReplacementCharacters) {
  EXPECT_EQ(ToSafeText(std::string("a\0b", 3), 1024), std::string("a") + kReplacement + "b");
  EXPECT_EQ(ToSafeText("\x01\x7f", 1024), std::string(kReplacement) + kReplacement);
}

TEST(Utf8TextTest, CutAtACharacterBoundary) {
  std::string body = std::string(1023, 'x') + "€";  // € is 3 bytes, straddling 1 KiB
  std::string safe = ToSafeText(body, 1024);
  EXPECT_EQ(safe, std::string(1023, 'x'));
  EXPECT_TRUE(IsValidUtf8(safe));
}

TEST(Utf8TextTest, EveryByteValueGivesTextJsonAccepts) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t cut : {0, 1, 7, 100, 1024}) {
    std::string safe = ToSafeText(all + all, cut);
    EXPECT_LE(safe.size(), cut);
    EXPECT_TRUE(IsValidUtf8(safe));
    EXPECT_EQ(safe.find('\0'), std::string::npos);
    EXPECT_NO_THROW(nlohmann::json(safe).dump());
  }
}

}  // namespace
}  // namespace argus
