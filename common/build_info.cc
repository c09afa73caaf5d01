#include "common/build_info.h"

#include "absl/strings/str_cat.h"
#include "build_stamp.h"

namespace argus {

const char* BuildVersion() { return ARGUS_VERSION; }
const char* BuildCommit() { return ARGUS_BUILD_COMMIT; }

std::string VersionLine(const std::string& program) {
  return absl::StrCat(program, " ", BuildVersion(), " (commit ", BuildCommit(), ")");
}

}  // namespace argus
