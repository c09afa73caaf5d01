#ifndef ARGUS_COMMON_CRYPTO_H_
#define ARGUS_COMMON_CRYPTO_H_

#include <string>

#include "absl/strings/string_view.h"

namespace argus {

// `n` bytes from OpenSSL's CSPRNG. Aborts if the RNG fails (it never should).
std::string RandomBytes(size_t n);

// Raw 32-byte SHA-256 digest.
std::string Sha256(absl::string_view data);

// Raw 32-byte HMAC-SHA256 of `data` under `key`.
std::string HmacSha256(absl::string_view key, absl::string_view data);

// Lower-case hex.
std::string HexEncode(absl::string_view bytes);

// Compares in time independent of where the inputs differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace argus

#endif  // ARGUS_COMMON_CRYPTO_H_
