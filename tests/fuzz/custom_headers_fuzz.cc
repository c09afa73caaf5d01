// Custom-header validation: any input; nothing accepted carries CR, LF or
// NUL or overrides a header Argus owns.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "common/custom_headers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> headers;
  // "name=value" pairs separated by '\x1f'.
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\x1f', start);
    std::string pair =
        input.substr(start, end == std::string::npos ? std::string::npos : end - start);
    size_t eq = pair.find('=');
    headers[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  auto normalized = argus::NormalizeCustomHeaders(headers);
  if (!normalized.ok()) return 0;
  for (const auto& [name, value] : *normalized) {
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) std::abort();
    if (name == "content-type" || name == "host" || absl::StartsWith(name, "argus-") ||
        absl::StartsWith(name, "webhook-") || absl::StartsWith(name, "x-argus-")) {
      std::abort();
    }
  }
  return 0;
}
