#include "common/secret_box.h"

#include <openssl/evp.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace argus {
namespace {

constexpr size_t kKeySize = 32;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* Bytes(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<SecretBox> SecretBox::FromBase64Key(absl::string_view key_base64) {
  std::string key;
  if (!absl::Base64Unescape(key_base64, &key) || key.size() != kKeySize) {
    return absl::InvalidArgumentError(
        "--secret_key (ARGUS_SECRET_KEY) must be base64 of exactly 32 bytes; "
        "make one with: openssl rand -base64 32");
  }
  return SecretBox(std::move(key));
}

std::string SecretBox::Seal(absl::string_view plaintext, absl::string_view aad) const {
  std::string nonce = RandomBytes(kNonceSize);
  std::string out = nonce;
  out.resize(kNonceSize + plaintext.size() + kTagSize);
  auto* cipher = reinterpret_cast<unsigned char*>(out.data() + kNonceSize);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key_), Bytes(nonce));
  EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size()));
  EVP_EncryptUpdate(ctx.get(), cipher, &len, Bytes(plaintext), static_cast<int>(plaintext.size()));
  EVP_EncryptFinal_ex(ctx.get(), cipher + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, cipher + plaintext.size());
  return out;
}

absl::StatusOr<std::string> SecretBox::Open(absl::string_view sealed, absl::string_view aad) const {
  if (sealed.size() < kNonceSize + kTagSize) {
    return absl::DataLossError("sealed secret is truncated");
  }
  absl::string_view nonce = sealed.substr(0, kNonceSize);
  absl::string_view cipher = sealed.substr(kNonceSize, sealed.size() - kNonceSize - kTagSize);
  std::string tag(sealed.substr(sealed.size() - kTagSize));
  std::string plain(cipher.size(), '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, Bytes(key_), Bytes(nonce));
  EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size()));
  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len, Bytes(cipher),
                    static_cast<int>(cipher.size()));
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data());
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) !=
      1) {
    return absl::DataLossError(
        "cannot decrypt signing secret: wrong --secret_key or corrupted row");
  }
  return plain;
}

std::string GenerateSigningSecret() {
  return absl::StrCat("whsec_", absl::Base64Escape(RandomBytes(32)));
}

}  // namespace argus
