#ifndef ARGUS_COMMON_BUILD_INFO_H_
#define ARGUS_COMMON_BUILD_INFO_H_

#include <string>

namespace argus {

// The release (CMake's project version) and the git commit built
// ("unknown" outside a checkout; "-dirty" with uncommitted changes).
const char* BuildVersion();
const char* BuildCommit();

// "<program> <version> (commit <commit>)", what --version prints.
std::string VersionLine(const std::string& program);

}  // namespace argus

#endif  // ARGUS_COMMON_BUILD_INFO_H_
