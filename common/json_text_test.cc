#include "common/json_text.h"

#include <gtest/gtest.h>

#include <string>

namespace argus {
namespace {

TEST(JsonNestingDepthTest, CountsObjectsAndArrays) {
  EXPECT_EQ(JsonNestingDepth("{}"), 1);
  EXPECT_EQ(JsonNestingDepth(R"({"a":{"b":[1,{"c":2}]},"d":[]})"), 4);
  EXPECT_EQ(JsonNestingDepth("1"), 0);
}

TEST(JsonNestingDepthTest, BracketsInStringsDoNotCount) {
  EXPECT_EQ(JsonNestingDepth(R"({"a":"[[[{{{","b":"\"[[["})"), 1);
}

TEST(JsonNestingDepthTest, HundredThousandLevelsWithoutRecursion) {
  std::string deep = std::string(100000, '[') + std::string(100000, ']');
  EXPECT_EQ(JsonNestingDepth(deep), 100000);
}

}  // namespace
}  // namespace argus
