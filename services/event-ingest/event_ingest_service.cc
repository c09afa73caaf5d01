#include "services/event-ingest/event_ingest_service.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "common/unary_call.h"

namespace argus {
namespace {

// Writes of one org that run at once; more of its publishes queue and are
// committed together (PublishCombiner). Two keep both cores busy with one
// org's large batches and leave the other connections to other orgs.
constexpr int kPublishWritersPerOrg = 2;

}  // namespace

EventIngestService::EventIngestService(EventStore* store, Authenticator* auth, WorkerPool* workers,
                                       IngestMetrics* metrics, size_t max_payload_bytes,
                                       PgNotifier* captures)
    : store_(store),
      auth_(auth),
      workers_(workers),
      metrics_(metrics),
      max_payload_bytes_(max_payload_bytes),
      captures_(captures),
      combiner_(
          [store](const std::string& org_id, const std::vector<NewEvent>& events) {
            return store->Publish(org_id, events);
          },
          kMaxBatchSize, kMaxBatchBytes, kPublishWritersPerOrg) {}

absl::StatusOr<bool> EventIngestService::IsKnownType(absl::string_view type) {
  MutexLock lock(&catalog_mu_);
  if (catalog_.find(type) != catalog_.end()) return true;
  absl::Time now = absl::Now();
  if (now - catalog_loaded_ < absl::Seconds(1)) return false;
  // An outage is not an unknown type: the publisher should retry.
  ARGUS_ASSIGN_OR_RETURN(std::vector<std::string> names, store_->LoadCatalog());
  catalog_loaded_ = now;
  catalog_ = {names.begin(), names.end()};
  return catalog_.find(type) != catalog_.end();
}

void EventIngestService::Handle(const grpc::CallbackServerContext& context,
                                const std::vector<const v1::PublishRequest*>& requests, bool batch,
                                std::vector<v1::PublishResponse*> responses, FinishFn finish) {
  auto start = std::chrono::steady_clock::now();
  auto reject = [&](absl::Status s) {
    metrics_->rejected.Increment(static_cast<double>(requests.size()));
    finish(std::move(s));
  };
  if (batch && (requests.empty() || static_cast<int>(requests.size()) > kMaxBatchSize)) {
    return reject(absl::InvalidArgumentError(
        absl::StrCat("events must hold 1..", kMaxBatchSize, " events, got ", requests.size())));
  }
  // Every event of a batch names the same org (the internal caller's), so
  // the first one decides.
  absl::StatusOr<Caller> caller =
      auth_->Authenticate(context, kScopePublish, requests.front()->org());
  if (!caller.ok()) return reject(caller.status());

  std::vector<NewEvent> events;
  std::vector<bool> captures;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (requests[i]->org() != requests.front()->org()) {
      return reject(absl::InvalidArgumentError(
          absl::StrCat("events[", i, "]: every event of a batch must name the same org")));
    }
    absl::StatusOr<NewEvent> event = ValidatePublishRequest(
        *requests[i], max_payload_bytes_, [this](absl::string_view t) { return IsKnownType(t); });
    if (!event.ok()) {
      if (!batch) return reject(event.status());
      return reject(
          absl::InvalidArgumentError(absl::StrCat("events[", i, "]: ", event.status().message())));
    }
    captures.push_back(event->type == "session.created");
    events.push_back(*std::move(event));
  }

  // Answered once committed, perhaps on the thread writing this org's
  // earlier publishes (PublishCombiner).
  combiner_.Publish(
      caller->org.id, std::move(events),
      [this, start, captures = std::move(captures), responses = std::move(responses),
       finish = std::move(finish)](PublishCombiner::Outcomes outcomes) {
        if (!outcomes.ok()) {
          metrics_->failed.Increment(static_cast<double>(responses.size()));
          return finish(outcomes.status());
        }
        bool stored_captures = false;
        for (size_t i = 0; i < outcomes->size(); ++i) {
          const PublishOutcome& o = (*outcomes)[i];
          responses[i]->set_event_id(o.event_id);
          responses[i]->set_duplicate(o.duplicate);
          responses[i]->set_fanout(o.fanout);
          (o.duplicate ? metrics_->duplicate : metrics_->accepted).Increment();
          metrics_->fanout.Increment(o.fanout);
          stored_captures |= !o.duplicate && captures[i];
        }
        if (stored_captures) captures_->Poke();  // committed: wake the debouncer
        metrics_->publish_seconds.Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        finish(absl::OkStatus());
      });
}

grpc::ServerUnaryReactor* EventIngestService::Publish(grpc::CallbackServerContext* context,
                                                      const v1::PublishRequest* request,
                                                      v1::PublishResponse* response) {
  return RunAuthorizedOnWorkerAnswering(
      context, *request, *workers_, *auth_, kScopePublish, [=, this](FinishFn finish) {
        Handle(*context, {request}, /*batch=*/false, {response}, std::move(finish));
      });
}

grpc::ServerUnaryReactor* EventIngestService::PublishBatch(grpc::CallbackServerContext* context,
                                                           const v1::PublishBatchRequest* request,
                                                           v1::PublishBatchResponse* response) {
  return RunAuthorizedOnWorkerAnswering(
      context, *request, *workers_, *auth_, kScopePublish, [=, this](FinishFn finish) {
        std::vector<const v1::PublishRequest*> requests;
        std::vector<v1::PublishResponse*> responses;
        for (const v1::PublishRequest& r : request->events()) {
          requests.push_back(&r);
          responses.push_back(response->add_results());
        }
        Handle(*context, requests, /*batch=*/true, responses,
               [response, finish = std::move(finish)](absl::Status status) {
                 if (!status.ok()) response->Clear();
                 finish(std::move(status));
               });
      });
}

}  // namespace argus
