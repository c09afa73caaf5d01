#ifndef ARGUS_TESTS_SUPPORT_PROCESS_H_
#define ARGUS_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace argus::testing {

// A child process (one of our binaries), its stdout and stderr going to files
// under a temporary directory. Killed with SIGKILL on destruction if still
// running.
class ChildProcess {
 public:
  // `env`: "NAME=value" entries added to (or replacing in) this process's
  // environment.
  ChildProcess(std::vector<std::string> argv, std::vector<std::string> env = {});
  ~ChildProcess();

  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void Signal(int sig);
  // The exit code (128 + signal when killed), or nullopt on timeout.
  std::optional<int> Wait(absl::Duration timeout);
  bool Running();
  pid_t pid() const { return pid_; }

  std::string Stdout() const;
  std::string Stderr() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::string out_path_;
  std::string err_path_;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion (at most `timeout`, then SIGKILL).
CommandResult RunCommand(std::vector<std::string> argv, std::vector<std::string> env = {},
                         absl::Duration timeout = absl::Seconds(60));

// The whole file ("" when it cannot be read).
std::string ReadFile(const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreeTcpPort();

}  // namespace argus::testing

#endif  // ARGUS_TESTS_SUPPORT_PROCESS_H_
