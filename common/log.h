#ifndef ARGUS_COMMON_LOG_H_
#define ARGUS_COMMON_LOG_H_

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace argus {

// One-line structured logs in logfmt on stderr:
//   ts=2026-11-22T10:33:11.123Z level=info svc=deliverer msg="claimed" n=17
// Values are quoted when they need it. Callers never pass secrets or tokens:
// log ids, counts and error messages only.
enum class LogLevel { kInfo, kWarning, kError };

using LogField = std::pair<absl::string_view, std::string>;

// Sets the svc= value of every later line (the binary's name).
void SetLogService(absl::string_view service);

void Log(LogLevel level, absl::string_view message, std::initializer_list<LogField> fields = {});

inline void LogInfo(absl::string_view message, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kInfo, message, fields);
}
inline void LogWarning(absl::string_view message, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kWarning, message, fields);
}
inline void LogError(absl::string_view message, std::initializer_list<LogField> fields = {}) {
  Log(LogLevel::kError, message, fields);
}

// Renders one line without the trailing newline (exposed for tests).
std::string FormatLogLine(absl::string_view timestamp, LogLevel level, absl::string_view service,
                          absl::string_view message, std::initializer_list<LogField> fields);

}  // namespace argus

#endif  // ARGUS_COMMON_LOG_H_
