#include "common/crash_log.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <stdexcept>
#include <thread>

namespace argus {
namespace {

// A billion 1 KiB frames: more than any stack holds. The volatile frame
// keeps the compiler from turning the recursion into a loop.
int Recurse(int depth) {
  volatile char frame[1024];
  frame[0] = static_cast<char>(depth);
  if (depth > 1000000000) return frame[0];
  return Recurse(depth + 1) + frame[0];
}

TEST(CrashLogDeathTest, AFatalSignalIsLoggedWithABacktrace) {
  EXPECT_DEATH(
      {
        InstallCrashLogger("crash-test");
        raise(SIGSEGV);
      },
      "level=fatal svc=crash-test msg=\"crashed\" signal=SIGSEGV");
}

TEST(CrashLogDeathTest, AStackOverflowIsLoggedToo) {
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
  GTEST_SKIP() << "ThreadSanitizer takes the overflow's SIGSEGV before any handler of ours";
#endif
#endif
  EXPECT_DEATH(
      {
        InstallCrashLogger("crash-test");
        Recurse(0);
      },
      "msg=\"crashed\" signal=SIGSEGV");
}

TEST(CrashLogDeathTest, AnUncaughtExceptionIsLoggedWithItsMessage) {
  EXPECT_DEATH(
      {
        InstallCrashLogger("crash-test");
        std::thread([] { throw std::runtime_error("boom from a test"); }).join();
      },
      "msg=\"uncaught exception\" error=\"boom from a test\"");
}

}  // namespace
}  // namespace argus
