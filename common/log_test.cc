#include "common/log.h"

#include <gtest/gtest.h>

namespace argus {
namespace {

TEST(LogTest, OneLogfmtLineWithQuotingAndEscapes) {
  std::string line =
      FormatLogLine("2026-01-01T00:00:00.000Z", LogLevel::kWarning, "deliverer", "claim failed",
                    {{"n", "17"}, {"error", "a \"b\"\nc"}, {"empty", ""}});
  EXPECT_EQ(line,
            "ts=2026-01-01T00:00:00.000Z level=warn svc=deliverer msg=\"claim failed\" n=17 "
            "error=\"a \\\"b\\\"\\nc\" empty=\"\"");
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace argus
