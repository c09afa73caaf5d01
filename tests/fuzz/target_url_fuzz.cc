// URL validation and the address classifier must take any input without
// crashing, and never call a non-public literal allowed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "common/target_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  argus::TargetPolicy strict;
  absl::StatusOr<argus::TargetUrl> url = argus::ParseTargetUrl(input);
  if (url.ok() && argus::CheckTargetUrl(*url, strict).ok() && url->ip) {
    if (!argus::NonPublicRange(*url->ip).empty()) std::abort();  // a private literal got through
  }
  if (auto v4 = argus::ParseIpv4Loose(input)) (void)argus::NonPublicRange(*v4);
  if (auto v6 = argus::ParseIpv6(input)) (void)argus::NonPublicRange(*v6);
  (void)argus::ParseCidrList(input);
  return 0;
}
