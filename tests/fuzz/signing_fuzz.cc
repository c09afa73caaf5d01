// Signature headers for any body and any secret: no crash, and for a valid
// secret the headers are well formed (no CR/LF, one v1 per secret).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "common/signing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::string secret = "whsec_" + absl::Base64Escape(input.substr(0, 32));
  std::string raw_secret(input.substr(0, 16));  // usually not a valid secret
  absl::StatusOr<argus::SignatureHeaders> h =
      argus::SignNative(input, "id", 1700000000, {secret, "whsec_" + raw_secret});
  h = argus::SignNative(input, input.substr(0, 40), 1700000000, {secret});
  if (!h.ok()) return 0;
  for (const std::string* v : {&h->argus_signature, &h->webhook_signature, &h->x_argus_signature}) {
    if (v->find_first_of("\r\n") != std::string::npos) std::abort();
  }
  std::vector<std::string> parts = absl::StrSplit(h->argus_signature, ',');
  if (parts.size() != 2) std::abort();
  return 0;
}
