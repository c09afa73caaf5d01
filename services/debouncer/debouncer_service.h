#ifndef ARGUS_SERVICES_DEBOUNCER_DEBOUNCER_SERVICE_H_
#define ARGUS_SERVICES_DEBOUNCER_DEBOUNCER_SERVICE_H_

#include "argus/webhooks/v1/debouncer.grpc.pb.h"
#include "common/auth.h"
#include "common/worker_pool.h"
#include "services/debouncer/session_roller.h"
#include "services/debouncer/session_store.h"

namespace argus {

namespace v1 = ::argus::webhooks::v1;

// argus.webhooks.v1.Debouncer: ListOpenSessions and CompleteSession take an
// `admin` token and see only its org.
class DebouncerService final : public v1::Debouncer::CallbackService {
 public:
  DebouncerService(SessionStore* store, SessionRoller* roller, Authenticator* auth,
                   WorkerPool* workers, absl::Duration quiet_window);

  grpc::ServerUnaryReactor* ListOpenSessions(grpc::CallbackServerContext* context,
                                             const v1::ListOpenSessionsRequest* request,
                                             v1::ListOpenSessionsResponse* response) override;
  grpc::ServerUnaryReactor* CompleteSession(grpc::CallbackServerContext* context,
                                            const v1::CompleteSessionRequest* request,
                                            v1::CompleteSessionResponse* response) override;

 private:
  SessionStore* store_;
  SessionRoller* roller_;
  Authenticator* auth_;
  WorkerPool* workers_;
  const absl::Duration quiet_window_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DEBOUNCER_DEBOUNCER_SERVICE_H_
