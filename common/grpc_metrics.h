#ifndef ARGUS_COMMON_GRPC_METRICS_H_
#define ARGUS_COMMON_GRPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>

#include "absl/strings/string_view.h"

namespace argus {

// grpc_server_handled_total{grpc_service,grpc_method,grpc_code} and
// grpc_server_handling_seconds{grpc_service,grpc_method}, recorded for every
// RPC by a server interceptor (names as in go-grpc-prometheus, so existing
// dashboards work).
class GrpcServerMetrics {
 public:
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  // An interceptor factory for ServerBuilder that records into this object,
  // which must outlive the server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeInterceptorFactory();

  // Records one finished call. `full_method` is "/pkg.Service/Method".
  void Record(absl::string_view full_method, grpc::StatusCode code, double seconds);

 private:
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& handling_seconds_;
};

// go-grpc-prometheus' spelling of a code: "OK", "InvalidArgument", …
absl::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace argus

#endif  // ARGUS_COMMON_GRPC_METRICS_H_
