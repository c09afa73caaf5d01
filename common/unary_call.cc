#include "common/unary_call.h"

#include "absl/strings/str_cat.h"
#include "proto/lenient_requests.h"

namespace argus {

absl::Status CheckRequestText(const google::protobuf::Message& request) {
  std::string field = InvalidUtf8Field(request);
  if (field.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field,
                   " is not valid UTF-8 (text fields must be UTF-8; send raw bytes "
                   "as base64 inside JSON instead)"));
}

}  // namespace argus
