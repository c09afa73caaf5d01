#ifndef ARGUS_COMMON_SEALED_HEADERS_H_
#define ARGUS_COMMON_SEALED_HEADERS_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/secret_box.h"

namespace argus {

// An endpoint's custom header values often carry a receiver's credentials:
// they are sealed at rest like signing secrets (bound to the endpoint id)
// and never shown again. What the API and the plain column keep is the
// names, each with kRedactedHeaderValue.
inline constexpr char kRedactedHeaderValue[] = "[redacted]";

std::string SealHeaders(const SecretBox& box, const std::map<std::string, std::string>& headers,
                        absl::string_view endpoint_id);

// DATA_LOSS when the key is wrong or the data was tampered with.
absl::StatusOr<std::map<std::string, std::string>> OpenHeaders(const SecretBox& box,
                                                               absl::string_view sealed,
                                                               absl::string_view endpoint_id);

// The same names, every value kRedactedHeaderValue.
std::map<std::string, std::string> RedactHeaders(const std::map<std::string, std::string>& headers);

}  // namespace argus

#endif  // ARGUS_COMMON_SEALED_HEADERS_H_
