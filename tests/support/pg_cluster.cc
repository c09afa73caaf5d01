#include "tests/support/pg_cluster.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace argus::testing {
namespace {

std::string Script() { return absl::StrCat(ARGUS_SOURCE_DIR, "/tests/pg_cluster"); }

std::string Capture(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buf[256];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) out += buf;
  pclose(pipe);
  return std::string(absl::StripAsciiWhitespace(out));
}

}  // namespace

void RunOrDie(const std::string& command) {
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "command failed: %s\n", command.c_str());
    std::abort();
  }
}

PgCluster::PgCluster() {
  char tmpl[] = "/tmp/argus-pgXXXXXX";
  dir_ = mkdtemp(tmpl);
  std::filesystem::permissions(dir_, std::filesystem::perms::all);
  if (!absl::SimpleAtoi(Capture(Script() + " free-port"), &port_)) {
    std::fprintf(stderr, "no free port for a test cluster\n");
    std::abort();
  }
  RunOrDie(absl::StrCat(Script(), " init ", dir_, " ", port_));
  Start();
}

PgCluster::~PgCluster() {
  if (running_) Stop();
  std::filesystem::remove_all(dir_);
}

void PgCluster::Start() {
  RunOrDie(absl::StrCat(Script(), " start ", dir_));
  running_ = true;
}

void PgCluster::Stop() {
  RunOrDie(absl::StrCat(Script(), " stop ", dir_));
  running_ = false;
}

std::string PgCluster::admin_url() const {
  return absl::StrCat("postgresql://postgres@127.0.0.1:", port_, "/postgres");
}

}  // namespace argus::testing
