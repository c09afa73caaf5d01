#include "common/crash_log.h"

#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <exception>
#include <initializer_list>

namespace argus {
namespace {

const char* g_service = "argus";

// Only async-signal-safe calls from here on: write(2), backtrace into a
// preallocated buffer, raise.
void WriteString(const char* s) {
  size_t left = std::strlen(s);
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, s, left);
    if (n <= 0) return;
    s += n;
    left -= static_cast<size_t>(n);
  }
}

void WriteBacktrace() {
  void* frames[64];
  int n = backtrace(frames, 64);
  backtrace_symbols_fd(frames, n, STDERR_FILENO);
}

const char* SignalName(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
    default:
      return "fatal";
  }
}

void OnFatalSignal(int sig) {
  WriteString("level=fatal svc=");
  WriteString(g_service);
  WriteString(" msg=\"crashed\" signal=");
  WriteString(SignalName(sig));
  WriteString("\n");
  WriteBacktrace();
  // SA_RESETHAND restored the default action: die of the same signal.
  raise(sig);
}

void OnTerminate() {
  WriteString("level=fatal svc=");
  WriteString(g_service);
  WriteString(" msg=\"uncaught exception\"");
  if (std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      WriteString(" error=\"");
      WriteString(ex.what());
      WriteString("\"");
    } catch (...) {
    }
  }
  WriteString("\n");
  std::abort();  // the SIGABRT handler adds the backtrace
}

}  // namespace

void InstallCrashLogger(const char* service) {
  g_service = service;
  // A stack of its own: a stack overflow leaves none for the handler.
  static char alternate_stack[64 * 1024];
  stack_t ss{};
  ss.ss_sp = alternate_stack;
  ss.ss_size = sizeof(alternate_stack);
  sigaltstack(&ss, nullptr);
  // Load libgcc's unwinder now: backtrace() would do it (and malloc) on
  // first use, inside the handler.
  void* warm[1];
  backtrace(warm, 1);
  struct sigaction action {};
  action.sa_handler = OnFatalSignal;
  action.sa_flags = SA_ONSTACK | SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) sigaction(sig, &action, nullptr);
  std::set_terminate(OnTerminate);
}

}  // namespace argus
