#ifndef ARGUS_SERVICES_DEBOUNCER_INGEST_CLIENT_H_
#define ARGUS_SERVICES_DEBOUNCER_INGEST_CLIENT_H_

#include <grpcpp/security/credentials.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "argus/webhooks/v1/event_ingest.grpc.pb.h"

namespace argus {

// Publishes through EventIngest.Publish with the internal service token,
// acting for the org named in each call.
class IngestClient {
 public:
  IngestClient(const std::string& address, std::shared_ptr<grpc::ChannelCredentials> credentials,
               std::string internal_token);

  // The event id (the first one's when `idempotency_key` was seen before).
  absl::StatusOr<std::string> Publish(const std::string& org_slug, const std::string& project,
                                      const std::string& type, const std::string& idempotency_key,
                                      const std::string& data_json);

 private:
  std::unique_ptr<webhooks::v1::EventIngest::Stub> stub_;
  const std::string internal_token_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DEBOUNCER_INGEST_CLIENT_H_
