// EndpointRegistry's delivery-log RPCs (deliveries, events, stats, redelivery) and
// SendTestEvent.
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/delivery_vocabulary.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/page_token.h"
#include "common/proto_time.h"
#include "common/status_macros.h"
#include "services/endpoint-registry/endpoint_registry_service.h"

namespace argus {
namespace {

constexpr absl::Duration kDefaultStatsWindow = absl::Hours(24);
constexpr absl::Duration kMaxStatsWindow = absl::Hours(24 * 90);

void FillSummary(const std::optional<int64_t>& at_us, int status, const std::string& error,
                 v1::DeliverySummary* out) {
  if (!at_us) return;
  out->set_status_code(status);
  out->set_error(error);
  out->set_success(IsSuccessfulAttempt(status, error));
  SetTimestampMicros(*at_us, out->mutable_time());
}

void ToProto(const DeliveryRow& d, v1::Delivery* out) {
  out->set_id(d.id);
  out->set_event_id(d.event_id);
  out->set_endpoint_id(d.endpoint_id);
  out->set_event_type(d.event_type);
  out->set_status(static_cast<v1::DeliveryStatus>(d.state));
  out->set_attempt_count(d.attempts);
  SetTimestampMicros(d.created_us, out->mutable_create_time());
  if (d.state == v1::PENDING)
    SetTimestampMicros(d.next_attempt_us, out->mutable_next_attempt_time());
  FillSummary(d.last_attempt_us, d.last_status_code, d.last_error, out->mutable_last_attempt());
  for (const AttemptRow& a : d.attempt_log) {
    v1::DeliveryAttempt* attempt = out->add_attempts();
    attempt->set_attempt(a.attempt);
    SetTimestampMicros(a.started_us, attempt->mutable_start_time());
    SetDuration(absl::Microseconds(a.duration_us), attempt->mutable_duration());
    attempt->set_status_code(a.status_code);
    attempt->set_error(a.error);
    attempt->set_response_body(a.response_body);
    attempt->mutable_request_headers()->insert(a.request_headers.begin(), a.request_headers.end());
    attempt->set_request_body(a.request_body);
  }
}

absl::Status CheckStatusFilter(int status) {
  if (status < 0 || status > v1::CANCELLED) {
    return absl::InvalidArgumentError(absl::StrCat("status: unknown value ", status));
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* EndpointRegistryService::ListDeliveries(
    grpc::CallbackServerContext* context, const v1::ListDeliveriesRequest* request,
    v1::ListDeliveriesResponse* response) {
  return Serve(context, *request, [=, this](const Caller& caller) -> absl::Status {
    ARGUS_RETURN_IF_ERROR(CheckUuidField("endpoint_id", request->endpoint_id()));
    ARGUS_RETURN_IF_ERROR(CheckStatusFilter(request->status()));
    ARGUS_ASSIGN_OR_RETURN(int size, EffectivePageSize(request->page_size()));
    absl::StatusOr<std::optional<PageCursor>> after = DecodePageToken(request->page_token());
    if (!after.ok()) return after.status();
    absl::StatusOr<DeliveryPage> page =
        deliveries_->List(caller.org.id, request->endpoint_id(), request->status(), size, *after);
    if (!page.ok()) return page.status();
    for (const DeliveryRow& d : page->deliveries) ToProto(d, response->add_deliveries());
    if (page->next) response->set_next_page_token(EncodePageToken(*page->next));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* EndpointRegistryService::GetDelivery(
    grpc::CallbackServerContext* context, const v1::GetDeliveryRequest* request,
    v1::Delivery* response) {
  return Serve(context, *request, [=, this](const Caller& caller) -> absl::Status {
    ARGUS_RETURN_IF_ERROR(CheckUuidField("id", request->id()));
    ARGUS_ASSIGN_OR_RETURN(DeliveryRow d, deliveries_->Get(caller.org.id, request->id()));
    ToProto(d, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* EndpointRegistryService::GetEvent(grpc::CallbackServerContext* context,
                                                            const v1::GetEventRequest* request,
                                                            v1::Event* response) {
  return Serve(context, *request, [=, this](const Caller& caller) -> absl::Status {
    ARGUS_RETURN_IF_ERROR(CheckUuidField("id", request->id()));
    ARGUS_ASSIGN_OR_RETURN(EventRow e, deliveries_->GetEvent(caller.org.id, request->id()));
    response->set_id(e.id);
    response->set_type(e.type);
    response->set_project(e.project);
    if (e.occurred_us) SetTimestampMicros(*e.occurred_us, response->mutable_occurred_at());
    SetTimestampMicros(e.created_us, response->mutable_create_time());
    response->set_data_json(e.payload_json);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* EndpointRegistryService::Redeliver(grpc::CallbackServerContext* context,
                                                             const v1::RedeliverRequest* request,
                                                             v1::RedeliverResponse* response) {
  return Serve(context, *request, [=, this](const Caller& caller) -> absl::Status {
    ARGUS_RETURN_IF_ERROR(CheckUuidField("delivery_id", request->delivery_id()));
    if (absl::Status s = deliveries_->Redeliver(caller.org.id, request->delivery_id()); !s.ok()) {
      return s;
    }
    ARGUS_ASSIGN_OR_RETURN(DeliveryRow d, deliveries_->Get(caller.org.id, request->delivery_id()));
    ToProto(d, response->mutable_delivery());
    LogInfo("redelivery queued", {{"org", caller.org.slug}, {"delivery", request->delivery_id()}});
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* EndpointRegistryService::RecoverFailed(
    grpc::CallbackServerContext* context, const v1::RecoverFailedRequest* request,
    v1::RecoverFailedResponse* response) {
  return Serve(context, *request, [=, this](const Caller& caller) -> absl::Status {
    ARGUS_RETURN_IF_ERROR(CheckUuidField("endpoint_id", request->endpoint_id()));
    if (!request->has_since()) {
      return absl::InvalidArgumentError(
          "since is required, e.g. \"2026-11-21T00:00:00Z\": failed deliveries created then or "
          "later are queued again");
    }
    ARGUS_RETURN_IF_ERROR(CheckTimestamp("since", request->since()));
    ARGUS_ASSIGN_OR_RETURN(int64_t queued,
                           deliveries_->RecoverFailed(caller.org.id, request->endpoint_id(),
                                                      FromTimestamp(request->since())));
    response->set_queued(queued);
    LogInfo("failed deliveries queued again", {{"org", caller.org.slug},
                                               {"endpoint", request->endpoint_id()},
                                               {"count", absl::StrCat(queued)}});
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* EndpointRegistryService::GetEndpointStats(
    grpc::CallbackServerContext* context, const v1::GetEndpointStatsRequest* request,
    v1::EndpointStats* response) {
  return Serve(context, *request, [=, this](const Caller& caller) -> absl::Status {
    ARGUS_RETURN_IF_ERROR(CheckUuidField("endpoint_id", request->endpoint_id()));
    absl::Duration window =
        request->has_window() ? FromDuration(request->window()) : kDefaultStatsWindow;
    if (window <= absl::ZeroDuration() || window > kMaxStatsWindow) {
      return absl::InvalidArgumentError("window must be between 1s and 90 days (2160h)");
    }
    ARGUS_ASSIGN_OR_RETURN(EndpointStatsRow s,
                           deliveries_->Stats(caller.org.id, request->endpoint_id(), window));
    response->set_attempts(s.attempts);
    response->set_successes(s.successes);
    response->mutable_failures_by_result()->insert(s.failures_by_result.begin(),
                                                   s.failures_by_result.end());
    response->set_success_rate(s.attempts ? static_cast<double>(s.successes) / s.attempts : 0);
    response->set_pending_deliveries(s.pending);
    response->set_failed_deliveries(s.failed);
    FillSummary(s.last_attempt_us, s.last_status_code, s.last_error,
                response->mutable_last_delivery());
    SetDuration(absl::Microseconds(s.p50_us), response->mutable_p50_attempt_duration());
    SetDuration(absl::Microseconds(s.p99_us), response->mutable_p99_attempt_duration());
    SetDuration(window, response->mutable_window());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* EndpointRegistryService::SendTestEvent(
    grpc::CallbackServerContext* context, const v1::SendTestEventRequest* request,
    v1::SendTestEventResponse* response) {
  return Serve(context, *request, [=, this](const Caller& caller) -> absl::Status {
    ARGUS_RETURN_IF_ERROR(CheckUuidField("endpoint_id", request->endpoint_id()));
    std::string event_id = NewUuid();
    nlohmann::json payload = {{"message", "This is a test event from Argus Webhooks."},
                              {"endpointId", request->endpoint_id()}};
    ARGUS_ASSIGN_OR_RETURN(std::string delivery_id,
                           deliveries_->SendTestEvent(caller.org.id, request->endpoint_id(),
                                                      event_id, payload.dump()));
    response->set_event_id(event_id);
    response->set_delivery_id(delivery_id);
    return absl::OkStatus();
  });
}

}  // namespace argus
