#include "common/process_metrics.h"

#include <dirent.h>
#include <prometheus/gauge.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "common/build_info.h"

namespace argus {
namespace {

prometheus::MetricFamily One(const char* name, const char* help, prometheus::MetricType type,
                             double value) {
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  return {name, help, type, {m}};
}

// Seconds since the epoch at which the system booted (btime in /proc/stat).
double BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> value;
      return value;
    }
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

int OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int n = 0;
  while (dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n - 1;  // the directory stream's own descriptor
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessMetrics::Collect() const {
  using prometheus::MetricType;
  std::vector<prometheus::MetricFamily> out;
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)), {});
  // Fields after the command name (which may hold spaces, in parentheses):
  // state is field 3; utime 14, stime 15, starttime 22, vsize 23, rss 24.
  size_t close = stat.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(stat.substr(close + 2));
    std::vector<std::string> f;
    for (std::string field; fields >> field;) f.push_back(field);
    if (f.size() >= 22) {
      const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
      const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
      auto at = [&](int field) { return std::stod(f[field - 3]); };
      out.push_back(One("process_cpu_seconds_total",
                        "Total user and system CPU time spent in seconds.", MetricType::Counter,
                        (at(14) + at(15)) / ticks));
      out.push_back(One("process_start_time_seconds",
                        "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
                        BootTime() + at(22) / ticks));
      out.push_back(One("process_virtual_memory_bytes", "Virtual memory size in bytes.",
                        MetricType::Gauge, at(23)));
      out.push_back(One("process_resident_memory_bytes", "Resident memory size in bytes.",
                        MetricType::Gauge, at(24) * page));
    }
  }
  out.push_back(
      One("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, OpenFds()));
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    out.push_back(One("process_max_fds", "Maximum number of open file descriptors.",
                      MetricType::Gauge, static_cast<double>(limit.rlim_cur)));
  }
  return out;
}

void RegisterBuildInfo(prometheus::Registry& registry) {
  prometheus::BuildGauge()
      .Name("argus_build_info")
      .Help("1, labelled with the running build's version and git commit.")
      .Register(registry)
      .Add({{"version", BuildVersion()}, {"commit", BuildCommit()}})
      .Set(1);
}

}  // namespace argus
