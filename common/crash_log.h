#ifndef ARGUS_COMMON_CRASH_LOG_H_
#define ARGUS_COMMON_CRASH_LOG_H_

namespace argus {

// On a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT: a stack
// overflow included, the handler runs on a stack of its own) or an uncaught
// exception, writes what it can to stderr first: one logfmt line
// (level=fatal msg="crashed" signal=… or the exception's message) and a
// backtrace. Then the process dies of the same signal as before, so a
// supervisor sees the same exit. Call once, early in main.
void InstallCrashLogger(const char* service);

}  // namespace argus

#endif  // ARGUS_COMMON_CRASH_LOG_H_
