#ifndef ARGUS_COMMON_UNARY_CALL_H_
#define ARGUS_COMMON_UNARY_CALL_H_

#include <google/protobuf/message.h>
#include <grpcpp/grpcpp.h>

#include <functional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/auth.h"
#include "common/grpc_status.h"
#include "common/worker_pool.h"

namespace argus {

// Answers an RPC with an absl::Status, once, from any thread.
using FinishFn = std::function<void(absl::Status)>;

// Runs `handler(finish)` on `pool`; the RPC ends when the handler (or
// whatever it hands `finish` to) calls `finish`, exactly once. The callback
// thread returns at once. A full pool answers RESOURCE_EXHAUSTED.
template <typename Handler>
grpc::ServerUnaryReactor* RunOnWorkerAnswering(grpc::CallbackServerContext* context,
                                               WorkerPool& pool, Handler handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  bool queued = pool.Submit([reactor, handler = std::move(handler)]() mutable {
    handler([reactor](absl::Status status) { reactor->Finish(ToGrpcStatus(status)); });
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

// RunOnWorkerAnswering for a call that needs a token with `scope`: a request
// with invalid text, or whose token can be refused without a database
// look-up (Authenticator::PreCheck), is answered on the callback thread and
// never queued, so a flood of bad or missing tokens holds neither workers
// nor queued request memory.
template <typename Handler>
grpc::ServerUnaryReactor* RunAuthorizedOnWorkerAnswering(grpc::CallbackServerContext* context,
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
  return RunOnWorkerAnswering(context, pool, std::move(handler));
}

// As RunAuthorizedOnWorkerAnswering, for a handler that returns its
// absl::Status (filling the response it captured).
template <typename Handler>
grpc::ServerUnaryReactor* RunAuthorizedOnWorker(grpc::CallbackServerContext* context,
                                                const google::protobuf::Message& request,
                                                WorkerPool& pool, Authenticator& auth,
                                                absl::string_view scope, Handler handler) {
  return RunAuthorizedOnWorkerAnswering(
      context, request, pool, auth, scope,
      [handler = std::move(handler)](const FinishFn& finish) mutable { finish(handler()); });
}

}  // namespace argus

#endif  // ARGUS_COMMON_UNARY_CALL_H_
