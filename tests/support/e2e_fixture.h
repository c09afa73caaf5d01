#ifndef ARGUS_TESTS_SUPPORT_E2E_FIXTURE_H_
#define ARGUS_TESTS_SUPPORT_E2E_FIXTURE_H_

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "tests/support/https_receiver.h"
#include "tests/support/suite.h"
#include "tests/support/test_database.h"

namespace argus::testing {

// End-to-end tests: a test CA, a real HTTPS receiver on loopback, a fresh
// database and the services as processes (see Suite).
class E2eTest : public ::testing::Test {
 protected:
  struct Created {
    std::string id;
    std::string secret;
  };

  // Registry and deliverers may target 127.0.0.0/8 (and trust the test CA);
  // deliverers use short timeouts so tests stay quick.
  // `debouncers` debouncers with a 2 s quiet window.
  void StartSuite(int deliverers = 1, std::vector<std::string> deliverer_flags = {},
                  int debouncers = 0);
  // What StartSuite starts, for a test that adds to it before starting.
  Suite::Options SuiteOptions(int deliverers, std::vector<std::string> deliverer_flags = {},
                              int debouncers = 0) const;

  Created CreateEndpoint(const std::string& url, std::vector<std::string> event_types,
                         std::vector<std::string> retry_schedule = {"0.2s", "0.2s"},
                         v1::Format format = v1::FORMAT_UNSPECIFIED);
  // Publishes and returns the event id.
  std::string Publish(const std::string& type, const std::string& data_json = "{}",
                      const std::string& project = "");

  // Polls `condition` until true or `timeout`; true when it became true.
  static bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout);
  std::string Sql(const std::string& query) const { return db_.QueryValue(query); }
  // The state of the delivery of `event_id` to `endpoint_id` (1 pending … 5 cancelled).
  std::string DeliveryState(const std::string& event_id, const std::string& endpoint_id) const;
  bool WaitForState(const std::string& event_id, const std::string& endpoint_id,
                    const std::string& state, absl::Duration timeout) const;

  TestCa ca_;
  HttpsReceiver receiver_{ca_};
  TestDatabase db_;
  std::unique_ptr<Suite> suite_;
};

// An independent check of all three signature schemes with OpenSSL's HMAC
// (not the code under test). Empty when valid, else what is wrong.
std::string VerifySignatures(const ReceivedRequest& request, const std::string& secret);

}  // namespace argus::testing

#endif  // ARGUS_TESTS_SUPPORT_E2E_FIXTURE_H_
