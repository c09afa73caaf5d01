#ifndef ARGUS_COMMON_UNARY_CALL_H_
#define ARGUS_COMMON_UNARY_CALL_H_

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/auth.h"
#include "common/grpc_status.h"
#include "common/worker_pool.h"

namespace argus {

// Runs `handler` (returning absl::Status, filling the response it captured)
// on `pool` and finishes the RPC with its status. The callback thread returns
// at once. A full pool answers RESOURCE_EXHAUSTED.
template <typename Handler>
grpc::ServerUnaryReactor* RunOnWorker(grpc::CallbackServerContext* context, WorkerPool& pool,
                                      Handler handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  bool queued = pool.Submit([reactor, handler = std::move(handler)]() mutable {
    reactor->Finish(ToGrpcStatus(handler()));
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "server busy, retry later"));
  }
  return reactor;
}

// What every request is checked for before anything else: text fields that
// arrived as invalid UTF-8 (see proto/lenient_requests.h) are
// INVALID_ARGUMENT naming the field.
absl::Status CheckRequestText(const google::protobuf::Message& request);

// RunOnWorker for a call that needs a token with `scope`: a request with
// invalid text, or whose token can be refused without a database look-up
// (Authenticator::PreCheck), is answered on the callback thread and never
// queued, so a flood of bad or missing tokens holds neither workers nor
// queued request memory.
template <typename Handler>
grpc::ServerUnaryReactor* RunAuthorizedOnWorker(grpc::CallbackServerContext* context,
                                                const google::protobuf::Message& request,
                                                WorkerPool& pool, Authenticator& auth,
                                                absl::string_view scope, Handler handler) {
  absl::Status refused = CheckRequestText(request);
  if (refused.ok()) refused = auth.PreCheck(*context, scope);
  if (!refused.ok()) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(ToGrpcStatus(refused));
    return reactor;
  }
  return RunOnWorker(context, pool, std::move(handler));
}

}  // namespace argus

#endif  // ARGUS_COMMON_UNARY_CALL_H_
