#ifndef ARGUS_COMMON_SECRET_BOX_H_
#define ARGUS_COMMON_SECRET_BOX_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace argus {

// Encrypts signing secrets at rest with AES-256-GCM under ARGUS_SECRET_KEY.
// Sealed form: 12-byte random nonce || ciphertext || 16-byte tag. `aad` binds
// a sealed secret to its owner (the endpoint id), so rows cannot be swapped.
class SecretBox {
 public:
  // `key_base64`: standard base64 of exactly 32 bytes. INVALID_ARGUMENT
  // otherwise (the message never echoes the key).
  static absl::StatusOr<SecretBox> FromBase64Key(absl::string_view key_base64);

  std::string Seal(absl::string_view plaintext, absl::string_view aad) const;

  // DATA_LOSS when the key is wrong or the data was tampered with.
  absl::StatusOr<std::string> Open(absl::string_view sealed, absl::string_view aad) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

// A new endpoint signing secret: "whsec_" + base64 of 32 random bytes.
std::string GenerateSigningSecret();

}  // namespace argus

#endif  // ARGUS_COMMON_SECRET_BOX_H_
