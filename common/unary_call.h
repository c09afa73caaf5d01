#ifndef ARGUS_COMMON_UNARY_CALL_H_
#define ARGUS_COMMON_UNARY_CALL_H_

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/status/status.h"
#include "common/grpc_status.h"
#include "common/worker_pool.h"

namespace argus {

// Runs `handler` (returning absl::Status, filling the response it captured)
// on `pool` and finishes the RPC with its status. The callback thread returns
// at once. A full pool answers RESOURCE_EXHAUSTED.
template <typename Handler>
grpc::ServerUnaryReactor* RunOnWorker(grpc::CallbackServerContext* context,
                                      WorkerPool& pool, Handler handler) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  bool queued = pool.Submit([reactor, handler = std::move(handler)]() mutable {
    reactor->Finish(ToGrpcStatus(handler()));
  });
  if (!queued) {
    reactor->Finish(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                 "server busy, retry later"));
  }
  return reactor;
}

}  // namespace argus

#endif  // ARGUS_COMMON_UNARY_CALL_H_
