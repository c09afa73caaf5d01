#include "services/debouncer/debouncer_service.h"

#include "common/page_token.h"
#include "common/proto_time.h"
#include "common/slug.h"
#include "common/unary_call.h"

namespace argus {

DebouncerService::DebouncerService(SessionStore* store, SessionRoller* roller, Authenticator* auth,
                                   WorkerPool* workers, absl::Duration quiet_window)
    : store_(store), roller_(roller), auth_(auth), workers_(workers), quiet_window_(quiet_window) {}

grpc::ServerUnaryReactor* DebouncerService::ListOpenSessions(
    grpc::CallbackServerContext* context, const v1::ListOpenSessionsRequest* request,
    v1::ListOpenSessionsResponse* response) {
  return RunAuthorizedOnWorker(
      context, *request, *workers_, *auth_, kScopeAdmin, [=, this]() -> absl::Status {
        absl::StatusOr<Caller> caller = auth_->Authenticate(*context, kScopeAdmin);
        if (!caller.ok()) return caller.status();
        if (absl::Status s = ValidateSlug("project", request->project()); !s.ok()) return s;
        absl::StatusOr<int> size = EffectivePageSize(request->page_size());
        if (!size.ok()) return size.status();
        absl::StatusOr<std::optional<PageCursor>> after = DecodePageToken(request->page_token());
        if (!after.ok()) return after.status();
        absl::StatusOr<std::vector<OpenSession>> open =
            store_->ListOpen(caller->org.id, request->project(), *size + 1, *after);
        if (!open.ok()) return open.status();
        for (int i = 0; i < static_cast<int>(open->size()) && i < *size; ++i) {
          const OpenSession& s = (*open)[i];
          v1::TestSession* out = response->add_sessions();
          out->set_org(s.org_slug);
          out->set_project(s.key.project);
          out->set_label(s.key.label);
          out->set_period(s.key.period);
          out->set_capture_count(s.capture_count);
          SetTimestamp(s.first_capture, out->mutable_first_capture_time());
          SetTimestamp(s.last_capture, out->mutable_last_capture_time());
          SetTimestamp(s.last_capture + quiet_window_, out->mutable_complete_time());
        }
        if (static_cast<int>(open->size()) > *size) {
          const OpenSession& last = (*open)[*size - 1];
          response->set_next_page_token(
              EncodePageToken({absl::ToUnixMicros(last.first_capture), last.id}));
        }
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* DebouncerService::CompleteSession(
    grpc::CallbackServerContext* context, const v1::CompleteSessionRequest* request,
    v1::CompleteSessionResponse* response) {
  return RunAuthorizedOnWorker(
      context, *request, *workers_, *auth_, kScopeAdmin, [=, this]() -> absl::Status {
        absl::StatusOr<Caller> caller = auth_->Authenticate(*context, kScopeAdmin);
        if (!caller.ok()) return caller.status();
        if (request->label().empty()) return absl::InvalidArgumentError("label is required");
        if (absl::Status s = ValidateSlug("project", request->project()); !s.ok()) return s;
        absl::StatusOr<std::string> event_id =
            roller_->CompleteNow(caller->org.id, request->project(), request->label());
        if (!event_id.ok()) return event_id.status();
        response->set_event_id(*event_id);
        return absl::OkStatus();
      });
}

}  // namespace argus
