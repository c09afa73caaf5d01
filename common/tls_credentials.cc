#include "common/tls_credentials.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain: serve gRPC over TLS only (with --tls_key)");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of --tls_cert");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CAs: require client certificates that chain to them (mTLS)");
ABSL_FLAG(std::string, tls_ca, "", "PEM CAs: call other services over TLS, verified against them");

namespace argus {
namespace {

using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

absl::StatusOr<std::string> ReadFile(const char* flag, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

BioPtr MemoryBio(const std::string& pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
}

absl::Status NotPem(const char* flag, const std::string& path, const char* what) {
  ERR_clear_error();
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", path, " holds no PEM ", what));
}

// Reads `path` and checks it holds at least one PEM certificate.
absl::StatusOr<std::string> ReadCertificates(const char* flag, const std::string& path) {
  absl::StatusOr<std::string> pem = ReadFile(flag, path);
  if (!pem.ok()) return pem.status();
  BioPtr bio = MemoryBio(*pem);
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (cert == nullptr) return NotPem(flag, path, "certificate");
  X509_free(cert);
  return pem;
}

// The key must parse and belong to the first certificate of `cert_pem`.
absl::Status CheckKeyMatches(const std::string& cert_pem, const std::string& key_pem,
                             const std::string& key_path) {
  BioPtr key_bio = MemoryBio(key_pem);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (key == nullptr) return NotPem("tls_key", key_path, "private key (or it is encrypted)");
  BioPtr cert_bio = MemoryBio(cert_pem);
  X509* cert = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr);
  bool matches = cert != nullptr && X509_check_private_key(cert, key) == 1;
  X509_free(cert);
  EVP_PKEY_free(key);
  ERR_clear_error();
  if (!matches) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls_key: ", key_path, " is not the key of the --tls_cert certificate"));
  }
  return absl::OkStatus();
}

}  // namespace

TlsFiles TlsFilesFromFlags() {
  return {.cert = absl::GetFlag(FLAGS_tls_cert),
          .key = absl::GetFlag(FLAGS_tls_key),
          .client_ca = absl::GetFlag(FLAGS_tls_client_ca),
          .ca = absl::GetFlag(FLAGS_tls_ca)};
}

absl::StatusOr<GrpcCredentials> LoadGrpcCredentials(const TlsFiles& files) {
  if (files.cert.empty() != files.key.empty()) {
    return absl::InvalidArgumentError("--tls_cert and --tls_key go together: set both or neither");
  }
  if (files.cert.empty() && !files.client_ca.empty()) {
    return absl::InvalidArgumentError(
        "--tls_client_ca needs --tls_cert and --tls_key: client certificates need TLS");
  }
  GrpcCredentials out;
  std::string cert_pem, key_pem;
  if (!files.cert.empty()) {
    absl::StatusOr<std::string> cert = ReadCertificates("tls_cert", files.cert);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFile("tls_key", files.key);
    if (!key.ok()) return key.status();
    ARGUS_RETURN_IF_ERROR(CheckKeyMatches(*cert, *key, files.key));
    cert_pem = *std::move(cert);
    key_pem = *std::move(key);
    grpc::SslServerCredentialsOptions options;
    options.pem_key_cert_pairs.push_back({key_pem, cert_pem});
    out.server_mode = "tls";
    if (!files.client_ca.empty()) {
      absl::StatusOr<std::string> client_ca = ReadCertificates("tls_client_ca", files.client_ca);
      if (!client_ca.ok()) return client_ca.status();
      options.pem_root_certs = *std::move(client_ca);
      options.client_certificate_request =
          GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
      out.server_mode = "mtls";
    }
    out.server = grpc::SslServerCredentials(options);
  } else {
    out.server = grpc::InsecureServerCredentials();
    out.server_mode = "plaintext";
  }
  if (!files.ca.empty()) {
    absl::StatusOr<std::string> ca = ReadCertificates("tls_ca", files.ca);
    if (!ca.ok()) return ca.status();
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = *std::move(ca);
    options.pem_cert_chain = cert_pem;
    options.pem_private_key = key_pem;
    out.client = grpc::SslCredentials(options);
  } else {
    out.client = grpc::InsecureChannelCredentials();
  }
  return out;
}

}  // namespace argus
