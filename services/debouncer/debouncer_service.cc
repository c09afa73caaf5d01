#include "services/debouncer/debouncer_service.h"

#include "common/page_token.h"
#include "common/proto_time.h"
#include "common/slug.h"
#include "common/status_macros.h"
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
        ARGUS_ASSIGN_OR_RETURN(Caller caller, auth_->Authenticate(*context, kScopeAdmin));
        ARGUS_RETURN_IF_ERROR(ValidateSlug("project", request->project()));
        absl::StatusOr<int> size = EffectivePageSize(request->page_size());
        if (!size.ok()) return size.status();
        absl::StatusOr<std::optional<PageCursor>> after = DecodePageToken(request->page_token());
        if (!after.ok()) return after.status();
        absl::StatusOr<SessionStore::OpenSessionPage> page =
            store_->ListOpen(caller.org.id, request->project(), *size, *after);
        if (!page.ok()) return page.status();
        for (const OpenSession& s : page->sessions) {
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
        if (page->next) response->set_next_page_token(EncodePageToken(*page->next));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* DebouncerService::CompleteSession(
    grpc::CallbackServerContext* context, const v1::CompleteSessionRequest* request,
    v1::CompleteSessionResponse* response) {
  return RunAuthorizedOnWorker(
      context, *request, *workers_, *auth_, kScopeAdmin, [=, this]() -> absl::Status {
        ARGUS_ASSIGN_OR_RETURN(Caller caller, auth_->Authenticate(*context, kScopeAdmin));
        if (request->label().empty()) return absl::InvalidArgumentError("label is required");
        ARGUS_RETURN_IF_ERROR(ValidateSlug("project", request->project()));
        absl::StatusOr<std::string> event_id =
            roller_->CompleteNow(caller.org.id, request->project(), request->label());
        if (!event_id.ok()) return event_id.status();
        response->set_event_id(*event_id);
        return absl::OkStatus();
      });
}

}  // namespace argus
