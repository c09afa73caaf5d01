#ifndef ARGUS_COMMON_GRPC_STATUS_H_
#define ARGUS_COMMON_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace argus {

// The one place absl::Status becomes grpc::Status. Codes map one-to-one;
// the message is passed through unchanged (it must never hold a secret).
grpc::Status ToGrpcStatus(const absl::Status& status);

// The reverse, for clients of our own services.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace argus

#endif  // ARGUS_COMMON_GRPC_STATUS_H_
