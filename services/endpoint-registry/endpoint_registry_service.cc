#include "services/endpoint-registry/endpoint_registry_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/custom_headers.h"
#include "common/delivery_vocabulary.h"
#include "common/event_types.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/page_token.h"
#include "common/proto_time.h"
#include "common/sealed_headers.h"
#include "common/slug.h"
#include "common/status_macros.h"
#include "common/unary_call.h"
#include "services/endpoint-registry/endpoint_rules.h"

namespace argus {
namespace {

using CustomHeaders = std::map<std::string, std::string>;

constexpr absl::Duration kDefaultGrace = absl::Hours(24);
constexpr absl::Duration kMaxGrace = absl::Hours(24 * 30);

void ToProto(const EndpointRecord& r, v1::Endpoint* out) {
  out->set_id(r.id);
  out->set_label(r.label);
  out->set_url(r.url);
  out->set_format(static_cast<v1::Format>(r.format));
  for (const auto& t : r.event_types) out->add_event_types(t);
  out->set_project(r.project);
  out->mutable_headers()->insert(r.headers.begin(), r.headers.end());
  for (int64_t ms : r.retry_schedule_ms) {
    SetDuration(absl::Milliseconds(ms), out->add_retry_schedule());
  }
  out->set_rate_limit_per_second(r.rate_limit_per_second);
  out->set_state(static_cast<v1::EndpointState>(ApiEndpointState(r.state)));
  out->set_disabled_reason(r.disabled_reason);
  out->set_ordering(static_cast<v1::Ordering>(r.ordering));
  out->set_on_ordered_failure(static_cast<v1::OrderedFailure>(r.on_ordered_failure));
  SetTimestampMicros(r.created_us, out->mutable_create_time());
  SetTimestampMicros(r.updated_us, out->mutable_update_time());
  if (r.last_attempt_us) {
    v1::DeliverySummary* last = out->mutable_last_delivery();
    last->set_status_code(r.last_status_code);
    last->set_error(r.last_error);
    last->set_success(r.last_success);
    SetTimestampMicros(*r.last_attempt_us, last->mutable_time());
  }
}

std::vector<absl::Duration> Durations(
    const google::protobuf::RepeatedPtrField<google::protobuf::Duration>& in) {
  std::vector<absl::Duration> out;
  for (const auto& d : in) out.push_back(FromDuration(d));
  return out;
}

// The request's custom headers, checked (NormalizeCustomHeaders) and not
// the redaction placeholder: a value read back from GetEndpoint and sent
// again would replace the real one with it.
absl::StatusOr<std::map<std::string, std::string>> CheckHeaders(
    const google::protobuf::Map<std::string, std::string>& in) {
  ARGUS_ASSIGN_OR_RETURN(CustomHeaders headers, NormalizeCustomHeaders({in.begin(), in.end()}));
  for (const auto& [name, value] : headers) {
    if (value == kRedactedHeaderValue) {
      return absl::InvalidArgumentError(absl::StrCat(
          "headers: \"", name, "\" is \"", kRedactedHeaderValue,
          "\", the placeholder GetEndpoint shows; send the real value (headers are replaced "
          "as a whole)"));
    }
  }
  return headers;
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& in) {
  return {in.begin(), in.end()};
}

absl::Status ReadOnly(absl::string_view field) {
  return absl::InvalidArgumentError(
      absl::StrCat(field, " is read-only: delete the endpoint and create a new one to change it"));
}

}  // namespace

EndpointRegistryService::EndpointRegistryService(EndpointStore* store, DeliveryLogStore* deliveries,
                                                 Authenticator* auth, const SecretBox* secrets,
                                                 TargetPolicy target_policy, WorkerPool* workers)
    : store_(store),
      deliveries_(deliveries),
      auth_(auth),
      secrets_(secrets),
      target_policy_(std::move(target_policy)),
      workers_(workers) {}

absl::Status EndpointRegistryService::CheckSubscriptions(
    const std::vector<std::string>& event_types) {
  ARGUS_ASSIGN_OR_RETURN(std::vector<EventTypeRecord> catalog, store_->ListEventTypes());
  std::vector<std::string> names;
  for (const auto& t : catalog) names.push_back(t.name);
  return ValidateSubscriptions(event_types, names);
}

absl::Status EndpointRegistryService::Create(const Caller& caller,
                                             const v1::CreateEndpointRequest& req,
                                             v1::CreateEndpointResponse& resp) {
  ARGUS_RETURN_IF_ERROR(ValidateLabel(req.label()));
  absl::StatusOr<TargetUrl> url = ParseTargetUrl(req.url());
  if (!url.ok()) return url.status();
  ARGUS_RETURN_IF_ERROR(CheckTargetUrl(*url, target_policy_));
  absl::StatusOr<EndpointFormat> format = ResolveFormat(req.format(), *url);
  if (!format.ok()) return format.status();
  ARGUS_RETURN_IF_ERROR(ValidateSlug("project", req.project()));
  absl::StatusOr<std::map<std::string, std::string>> headers = CheckHeaders(req.headers());
  if (!headers.ok()) return headers.status();
  ARGUS_ASSIGN_OR_RETURN(std::vector<int64_t> schedule,
                         ValidateRetrySchedule(Durations(req.retry_schedule())));
  ARGUS_RETURN_IF_ERROR(ValidateRateLimit(req.rate_limit_per_second()));
  ARGUS_ASSIGN_OR_RETURN(int ordering, ResolveOrdering(req.ordering()));
  ARGUS_ASSIGN_OR_RETURN(int on_ordered_failure, ResolveOrderedFailure(req.on_ordered_failure()));
  EndpointRecord record;
  record.ordering = ordering;
  record.on_ordered_failure = on_ordered_failure;
  record.event_types = Strings(req.event_types());
  ARGUS_RETURN_IF_ERROR(CheckSubscriptions(record.event_types));

  record.id = NewUuid();
  record.project = req.project();
  record.label = req.label();
  record.url = req.url();
  record.format = static_cast<int>(*format);
  record.sealed_headers = SealHeaders(*secrets_, *headers, record.id);
  record.headers = RedactHeaders(*headers);
  record.retry_schedule_ms = std::move(schedule);
  record.rate_limit_per_second = req.rate_limit_per_second();

  // Slack and Discord bodies are not signed, so they get no secret.
  std::string secret;
  std::string sealed;
  if (*format == EndpointFormat::kNative) {
    secret = GenerateSigningSecret();
    sealed = secrets_->Seal(secret, record.id);
  }
  ARGUS_RETURN_IF_ERROR(store_->Create(caller.org.id, record, sealed));
  absl::StatusOr<EndpointRecord> stored = store_->Get(caller.org.id, record.id);
  if (!stored.ok()) return stored.status();
  ToProto(*stored, resp.mutable_endpoint());
  resp.set_signing_secret(secret);
  LogInfo("endpoint created", {{"org", caller.org.slug},
                               {"endpoint", record.id},
                               {"format", v1::Format_Name(resp.endpoint().format())}});
  return absl::OkStatus();
}

absl::Status EndpointRegistryService::Update(const Caller& caller,
                                             const v1::UpdateEndpointRequest& req,
                                             v1::Endpoint& resp) {
  const v1::Endpoint& e = req.endpoint();
  ARGUS_RETURN_IF_ERROR(CheckUuidField("endpoint.id", e.id()));
  std::vector<std::string> paths = Strings(req.update_mask().paths());
  if (paths.empty()) {
    // No mask: every field that is set.
    if (!e.url().empty()) paths.push_back("url");
    if (e.format() != v1::FORMAT_UNSPECIFIED) paths.push_back("format");
    if (!e.label().empty()) paths.push_back("label");
    if (e.event_types_size() > 0) paths.push_back("event_types");
    if (e.headers_size() > 0) paths.push_back("headers");
    if (e.retry_schedule_size() > 0) paths.push_back("retry_schedule");
    if (e.rate_limit_per_second() > 0) paths.push_back("rate_limit_per_second");
    if (e.ordering() != v1::ORDERING_UNSPECIFIED) paths.push_back("ordering");
    if (e.on_ordered_failure() != v1::ORDERED_FAILURE_UNSPECIFIED) {
      paths.push_back("on_ordered_failure");
    }
  }
  if (paths.empty()) {
    return absl::InvalidArgumentError(
        "nothing to update: set label, event_types, headers, retry_schedule, "
        "rate_limit_per_second, ordering or on_ordered_failure (and list them in update_mask)");
  }
  EndpointChanges changes;
  for (const std::string& path : paths) {
    if (path == "url" || path == "format") return ReadOnly(path);
    if (path == "label") {
      ARGUS_RETURN_IF_ERROR(ValidateLabel(e.label()));
      changes.label = e.label();
    } else if (path == "event_types") {
      std::vector<std::string> types = Strings(e.event_types());
      ARGUS_RETURN_IF_ERROR(CheckSubscriptions(types));
      changes.event_types = std::move(types);
    } else if (path == "headers") {
      ARGUS_ASSIGN_OR_RETURN(CustomHeaders h, CheckHeaders(e.headers()));
      changes.sealed_headers = SealHeaders(*secrets_, h, e.id());
      changes.headers = RedactHeaders(h);
    } else if (path == "retry_schedule") {
      ARGUS_ASSIGN_OR_RETURN(std::vector<int64_t> s,
                             ValidateRetrySchedule(Durations(e.retry_schedule())));
      changes.retry_schedule_ms = std::move(s);
    } else if (path == "rate_limit_per_second") {
      ARGUS_RETURN_IF_ERROR(ValidateRateLimit(e.rate_limit_per_second()));
      changes.rate_limit_per_second = e.rate_limit_per_second();
    } else if (path == "ordering") {
      ARGUS_ASSIGN_OR_RETURN(changes.ordering, ResolveOrdering(e.ordering()));
    } else if (path == "on_ordered_failure") {
      ARGUS_ASSIGN_OR_RETURN(changes.on_ordered_failure,
                             ResolveOrderedFailure(e.on_ordered_failure()));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("update_mask: \"", path,
                       "\" cannot be updated; updatable fields are label, event_types, headers, "
                       "retry_schedule, rate_limit_per_second, ordering, on_ordered_failure"));
    }
  }
  ARGUS_ASSIGN_OR_RETURN(EndpointRecord updated, store_->Update(caller.org.id, e.id(), changes));
  ToProto(updated, &resp);
  LogInfo("endpoint updated",
          {{"org", caller.org.slug}, {"endpoint", e.id()}, {"fields", absl::StrJoin(paths, ",")}});
  return absl::OkStatus();
}

absl::Status EndpointRegistryService::List(const Caller& caller,
                                           const v1::ListEndpointsRequest& req,
                                           v1::ListEndpointsResponse& resp) {
  ARGUS_ASSIGN_OR_RETURN(int size, EffectivePageSize(req.page_size()));
  absl::StatusOr<std::optional<PageCursor>> after = DecodePageToken(req.page_token());
  if (!after.ok()) return after.status();
  absl::StatusOr<EndpointPage> page = store_->List(caller.org.id, size, *after);
  if (!page.ok()) return page.status();
  for (const EndpointRecord& r : page->endpoints) ToProto(r, resp.add_endpoints());
  if (page->next) resp.set_next_page_token(EncodePageToken(*page->next));
  return absl::OkStatus();
}

absl::Status EndpointRegistryService::SetState(const Caller& caller, const std::string& id,
                                               v1::EndpointState state, v1::Endpoint& resp) {
  ARGUS_RETURN_IF_ERROR(CheckUuidField("id", id));
  ARGUS_ASSIGN_OR_RETURN(EndpointRecord updated, store_->SetState(caller.org.id, id, state));
  ToProto(updated, &resp);
  LogInfo("endpoint state changed",
          {{"org", caller.org.slug}, {"endpoint", id}, {"state", v1::EndpointState_Name(state)}});
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* EndpointRegistryService::CreateEndpoint(
    grpc::CallbackServerContext* context, const v1::CreateEndpointRequest* request,
    v1::CreateEndpointResponse* response) {
  return Serve(context, *request,
               [=, this](const Caller& caller) { return Create(caller, *request, *response); });
}

grpc::ServerUnaryReactor* EndpointRegistryService::GetEndpoint(
    grpc::CallbackServerContext* context, const v1::GetEndpointRequest* request,
    v1::Endpoint* response) {
  return Serve(context, *request, [=, this](const Caller& caller) -> absl::Status {
    ARGUS_RETURN_IF_ERROR(CheckUuidField("id", request->id()));
    ARGUS_ASSIGN_OR_RETURN(EndpointRecord r, store_->Get(caller.org.id, request->id()));
    ToProto(r, response);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* EndpointRegistryService::ListEndpoints(
    grpc::CallbackServerContext* context, const v1::ListEndpointsRequest* request,
    v1::ListEndpointsResponse* response) {
  return Serve(context, *request,
               [=, this](const Caller& caller) { return List(caller, *request, *response); });
}

grpc::ServerUnaryReactor* EndpointRegistryService::UpdateEndpoint(
    grpc::CallbackServerContext* context, const v1::UpdateEndpointRequest* request,
    v1::Endpoint* response) {
  return Serve(context, *request,
               [=, this](const Caller& caller) { return Update(caller, *request, *response); });
}

grpc::ServerUnaryReactor* EndpointRegistryService::PauseEndpoint(
    grpc::CallbackServerContext* context, const v1::PauseEndpointRequest* request,
    v1::Endpoint* response) {
  return Serve(context, *request, [=, this](const Caller& caller) {
    return SetState(caller, request->id(), v1::PAUSED, *response);
  });
}

grpc::ServerUnaryReactor* EndpointRegistryService::ResumeEndpoint(
    grpc::CallbackServerContext* context, const v1::ResumeEndpointRequest* request,
    v1::Endpoint* response) {
  return Serve(context, *request, [=, this](const Caller& caller) {
    return SetState(caller, request->id(), v1::ENABLED, *response);
  });
}

grpc::ServerUnaryReactor* EndpointRegistryService::DeleteEndpoint(
    grpc::CallbackServerContext* context, const v1::DeleteEndpointRequest* request,
    v1::DeleteEndpointResponse* response) {
  return Serve(context, *request, [=, this](const Caller& caller) -> absl::Status {
    ARGUS_RETURN_IF_ERROR(CheckUuidField("id", request->id()));
    ARGUS_ASSIGN_OR_RETURN(int64_t cancelled, store_->Delete(caller.org.id, request->id()));
    response->set_cancelled_deliveries(cancelled);
    LogInfo("endpoint deleted", {{"org", caller.org.slug},
                                 {"endpoint", request->id()},
                                 {"cancelled", absl::StrCat(cancelled)}});
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* EndpointRegistryService::ListEventTypes(
    grpc::CallbackServerContext* context, const v1::ListEventTypesRequest* request,
    v1::ListEventTypesResponse* response) {
  return Serve(context, *request, [=, this](const Caller&) -> absl::Status {
    ARGUS_ASSIGN_OR_RETURN(std::vector<EventTypeRecord> types, store_->ListEventTypes());
    for (const EventTypeRecord& t : types) {
      v1::EventType* out = response->add_event_types();
      out->set_name(t.name);
      out->set_category(t.category);
      out->set_description(t.description);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* EndpointRegistryService::RotateSecret(
    grpc::CallbackServerContext* context, const v1::RotateSecretRequest* request,
    v1::RotateSecretResponse* response) {
  return Serve(context, *request, [=, this](const Caller& caller) -> absl::Status {
    ARGUS_RETURN_IF_ERROR(CheckUuidField("id", request->id()));
    absl::Duration grace =
        request->has_grace_period() ? FromDuration(request->grace_period()) : kDefaultGrace;
    if (grace < absl::ZeroDuration() || grace > kMaxGrace) {
      return absl::InvalidArgumentError("grace_period must be between 0s and 30 days (720h)");
    }
    std::string secret = GenerateSigningSecret();
    ARGUS_ASSIGN_OR_RETURN(absl::Time previous_expire,
                           store_->RotateSecret(caller.org.id, request->id(),
                                                secrets_->Seal(secret, request->id()), grace));
    response->set_signing_secret(secret);
    SetTimestamp(previous_expire, response->mutable_previous_expire_time());
    LogInfo("signing secret rotated", {{"org", caller.org.slug},
                                       {"endpoint", request->id()},
                                       {"grace", absl::FormatDuration(grace)}});
    return absl::OkStatus();
  });
}

}  // namespace argus
