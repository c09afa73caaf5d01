// The gRPC API over TLS and mTLS, with certificates from deploy/tls/make-certs:
// every service serving TLS only, their own calls to each other verified, and
// clients with and without the CA or a client certificate.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/support/e2e_fixture.h"
#include "tests/support/process.h"
#include "tests/support/service_harness.h"

namespace argus::testing {
namespace {

class TlsE2eTest : public E2eTest {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/argus-tls-XXXXXX";
    dir_ = mkdtemp(tmpl);
    CommandResult made =
        RunCommand({absl::StrCat(ARGUS_SOURCE_DIR, "/deploy/tls/make-certs"), dir_});
    ASSERT_EQ(made.exit_code, 0) << made.err;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string File(const std::string& name) const { return absl::StrCat(dir_, "/", name); }

  std::vector<std::string> ServerFlags(bool require_client_certificates) const {
    std::vector<std::string> flags = {"--tls_cert",           File("server.pem"), "--tls_key",
                                      File("server-key.pem"), "--tls_ca",         File("ca.pem")};
    if (require_client_certificates) {
      flags.insert(flags.end(), {"--tls_client_ca", File("ca.pem")});
    }
    return flags;
  }

  std::shared_ptr<grpc::ChannelCredentials> Tls(bool with_ca, bool with_client_cert) const {
    grpc::SslCredentialsOptions options;
    if (with_ca) options.pem_root_certs = ReadFile(File("ca.pem"));
    if (with_client_cert) {
      options.pem_cert_chain = ReadFile(File("client.pem"));
      options.pem_private_key = ReadFile(File("client-key.pem"));
    }
    return grpc::SslCredentials(options);
  }

  // A health check of the registry with `credentials`.
  grpc::Status Check(std::shared_ptr<grpc::ChannelCredentials> credentials) {
    auto stub = grpc::health::v1::Health::NewStub(
        grpc::CreateChannel(suite_->RegistryAddress(), std::move(credentials)));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    grpc::health::v1::HealthCheckResponse response;
    return stub->Check(&context, {}, &response);
  }

  CommandResult Grpcurl(std::vector<std::string> flags) {
    std::vector<std::string> argv = {GRPCURL_BINARY_FOR_TESTS};
    argv.insert(argv.end(), flags.begin(), flags.end());
    argv.insert(argv.end(),
                {"-max-time", "5", suite_->RegistryAddress(), "grpc.health.v1.Health/Check"});
    return RunCommand(argv);
  }

  std::string dir_;
};

TEST_F(TlsE2eTest, ATlsRegistryAnswersOnlyClientsThatVerifyIt) {
  Suite::Options options = SuiteOptions(/*deliverers=*/0);
  options.common_flags = ServerFlags(/*require_client_certificates=*/false);
  options.credentials = Tls(/*with_ca=*/true, /*with_client_cert=*/false);
  suite_ = std::make_unique<Suite>(db_.url(), options);

  EXPECT_TRUE(Check(Tls(true, false)).ok());
  grpc::Status unverified = Check(Tls(/*with_ca=*/false, false));
  EXPECT_EQ(unverified.error_code(), grpc::StatusCode::UNAVAILABLE) << unverified.error_message();
  EXPECT_EQ(Check(grpc::InsecureChannelCredentials()).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_TRUE(absl::StrContains(suite_->registry_process().Stderr(), "transport=tls"));

  // The bundled grpcurl, as the README shows it.
  CommandResult with_ca = Grpcurl({"-cacert", File("ca.pem")});
  EXPECT_EQ(with_ca.exit_code, 0) << with_ca.err;
  EXPECT_TRUE(absl::StrContains(with_ca.out, "SERVING"));
  EXPECT_NE(Grpcurl({}).exit_code, 0) << "the system's CAs do not know our CA";
  EXPECT_NE(Grpcurl({"-plaintext"}).exit_code, 0);
  EXPECT_EQ(Grpcurl({"-insecure"}).exit_code, 0);
}

TEST_F(TlsE2eTest, MutualTlsRefusesClientsWithoutACertificateAndServicesCallEachOther) {
  Suite::Options options = SuiteOptions(/*deliverers=*/1, {}, /*debouncers=*/1);
  options.common_flags = ServerFlags(/*require_client_certificates=*/true);
  options.credentials = Tls(/*with_ca=*/true, /*with_client_cert=*/true);
  suite_ = std::make_unique<Suite>(db_.url(), options);

  EXPECT_TRUE(Check(Tls(true, true)).ok());
  grpc::Status anonymous = Check(Tls(true, /*with_client_cert=*/false));
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAVAILABLE) << anonymous.error_message();
  CommandResult with_cert = Grpcurl(
      {"-cacert", File("ca.pem"), "-cert", File("client.pem"), "-key", File("client-key.pem")});
  EXPECT_EQ(with_cert.exit_code, 0) << with_cert.err;
  EXPECT_NE(Grpcurl({"-cacert", File("ca.pem")}).exit_code, 0);

  // The debouncer publishes its rollup through event-ingest over mTLS
  // (--tls_ca, presenting its own certificate).
  Publish("session.created", R"({"sessionName": "tls-run", "averageFps": 60})", "mygame");
  EXPECT_TRUE(WaitUntil(
      [&] {
        return Sql("SELECT count(*) FROM events WHERE type = 'test_session.completed'") == "1";
      },
      absl::Seconds(30)))
      << suite_->AllLogs();
}

TEST_F(TlsE2eTest, BadTlsFlagsStopAServiceWithAClearReason) {
  auto start = [&](std::vector<std::string> flags) {
    std::vector<std::string> argv = {REGISTRY_BINARY_FOR_TESTS, "--grpc_listen", "127.0.0.1:0",
                                     "--metrics_listen", ""};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return RunCommand(argv, {absl::StrCat("ARGUS_DATABASE_URL=", db_.url()),
                             absl::StrCat("ARGUS_SECRET_KEY=", kTestSecretKey)});
  };
  CommandResult no_key = start({"--tls_cert", File("server.pem")});
  EXPECT_NE(no_key.exit_code, 0);
  EXPECT_TRUE(absl::StrContains(no_key.err, "--tls_cert and --tls_key go together")) << no_key.err;
  CommandResult wrong_key =
      start({"--tls_cert", File("server.pem"), "--tls_key", File("client-key.pem")});
  EXPECT_TRUE(absl::StrContains(wrong_key.err, "is not the key of the --tls_cert certificate"))
      << wrong_key.err;
  CommandResult not_pem =
      start({"--tls_cert", File("server-key.pem"), "--tls_key", File("server-key.pem")});
  EXPECT_TRUE(absl::StrContains(not_pem.err, "holds no PEM certificate")) << not_pem.err;
  CommandResult ca_alone = start({"--tls_client_ca", File("ca.pem")});
  EXPECT_TRUE(absl::StrContains(ca_alone.err, "--tls_client_ca needs --tls_cert")) << ca_alone.err;
  EXPECT_FALSE(absl::StrContains(wrong_key.err, "BEGIN")) << "no key material in errors";
}

}  // namespace
}  // namespace argus::testing
