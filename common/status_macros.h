#ifndef ARGUS_COMMON_STATUS_MACROS_H_
#define ARGUS_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Early returns for absl::Status and absl::StatusOr.
//
//   ARGUS_RETURN_IF_ERROR(ValidateSlug("project", p));
//   ARGUS_ASSIGN_OR_RETURN(Caller caller, auth_->Authenticate(context, kScopeAdmin));
//
// (Prefixed: protobuf's internal headers define RETURN_IF_ERROR too.)

#define ARGUS_RETURN_IF_ERROR(expr)                                   \
  do {                                                                \
    if (::absl::Status argus_status_ = (expr); !argus_status_.ok()) { \
      return argus_status_;                                           \
    }                                                                 \
  } while (0)

#define ARGUS_STATUS_CONCAT_INNER_(a, b) a##b
#define ARGUS_STATUS_CONCAT_(a, b) ARGUS_STATUS_CONCAT_INNER_(a, b)

#define ARGUS_ASSIGN_OR_RETURN(lhs, expr) \
  ARGUS_ASSIGN_OR_RETURN_IMPL_(ARGUS_STATUS_CONCAT_(argus_statusor_, __LINE__), lhs, expr)

#define ARGUS_ASSIGN_OR_RETURN_IMPL_(var, lhs, expr) \
  auto var = (expr);                                 \
  if (!var.ok()) return std::move(var).status();     \
  lhs = *std::move(var)

#endif  // ARGUS_COMMON_STATUS_MACROS_H_
