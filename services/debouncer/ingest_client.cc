#include "services/debouncer/ingest_client.h"

#include <grpcpp/grpcpp.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/grpc_status.h"

namespace argus {

IngestClient::IngestClient(const std::string& address,
                           std::shared_ptr<grpc::ChannelCredentials> credentials,
                           std::string internal_token)
    : stub_(
          webhooks::v1::EventIngest::NewStub(grpc::CreateChannel(address, std::move(credentials)))),
      internal_token_(std::move(internal_token)) {}

absl::StatusOr<std::string> IngestClient::Publish(const std::string& org_slug,
                                                  const std::string& project,
                                                  const std::string& type,
                                                  const std::string& idempotency_key,
                                                  const std::string& data_json) {
  webhooks::v1::PublishRequest req;
  req.set_org(org_slug);
  req.set_project(project);
  req.set_type(type);
  req.set_idempotency_key(idempotency_key);
  req.set_data_json(data_json);
  webhooks::v1::PublishResponse resp;
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", absl::StrCat("Bearer ", internal_token_));
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Status status = stub_->Publish(&ctx, req, &resp);
  if (!status.ok()) return FromGrpcStatus(status);
  return resp.event_id();
}

}  // namespace argus
