#include "services/deliverer/deliverer_metrics.h"

namespace argus {
namespace {

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900};
  return kBuckets;
}

}  // namespace

DelivererMetrics::DelivererMetrics(prometheus::Registry& r)
    : attempts_(prometheus::BuildCounter()
                    .Name("argus_webhook_delivery_attempts_total")
                    .Help("HTTP delivery attempts, by result and endpoint format.")
                    .Register(r)),
      finished_(prometheus::BuildCounter()
                    .Name("argus_webhook_deliveries_finished_total")
                    .Help("Deliveries that reached a final state, by outcome.")
                    .Register(r)),
      attempt_seconds_(prometheus::BuildHistogram()
                           .Name("argus_webhook_attempt_duration_seconds")
                           .Help("Duration of one delivery attempt.")
                           .Register(r)
                           .Add({}, LatencyBuckets())),
      end_to_end_seconds_(prometheus::BuildHistogram()
                              .Name("argus_webhook_end_to_end_seconds")
                              .Help("From event creation to successful delivery.")
                              .Register(r)
                              .Add({}, LatencyBuckets())),
      queue_depth_(
          prometheus::BuildGauge()
              .Name("argus_webhook_queue_depth")
              .Help("Deliveries waiting (pending) or being sent (in_flight), all replicas; "
                    "exported by one replica at a time.")
              .Register(r)),
      inflight_(prometheus::BuildGauge()
                    .Name("argus_webhook_inflight")
                    .Help("HTTP requests on the wire from this replica.")
                    .Register(r)
                    .Add({})),
      oldest_due_(prometheus::BuildGauge()
                      .Name("argus_webhook_oldest_due_seconds")
                      .Help("Age of the oldest due delivery not yet claimed; exported by "
                            "one replica at a time.")
                      .Register(r)),
      endpoints_disabled_(prometheus::BuildCounter()
                              .Name("argus_webhook_endpoints_disabled_total")
                              .Help("Endpoints this replica disabled (410 Gone or no success).")
                              .Register(r)
                              .Add({})),
      result_write_failures_(prometheus::BuildCounter()
                                 .Name("argus_webhook_result_write_failures_total")
                                 .Help("Failed writes of attempt results, by reason: transient "
                                       "(retried with backoff), row (a row isolated from its "
                                       "batch), body_dropped (recorded without the response "
                                       "body), dropped (not recordable at all; its lease "
                                       "expires).")
                                 .Register(r)),
      failing_endpoints_(prometheus::BuildGauge()
                             .Name("argus_webhook_failing_endpoints")
                             .Help("Enabled endpoints whose last 3+ attempts all failed, by org; "
                                   "exported by one replica at a time.")
                             .Register(r)),
      claim_errors_(prometheus::BuildCounter()
                        .Name("argus_webhook_claim_errors_total")
                        .Help("Claims of due deliveries that failed (database errors).")
                        .Register(r)
                        .Add({})) {
  for (const char* result :
       {"success", "http_error", "timeout", "network", "dns", "tls", "ssrf_blocked", "poison"}) {
    for (const char* format : {"native", "slack", "discord"}) {
      attempts_.Add({{"result", result}, {"format", format}});
    }
  }
  for (const char* outcome : {"succeeded", "failed", "cancelled"}) {
    finished_.Add({{"outcome", outcome}});
  }
  for (const char* reason : {"transient", "row", "body_dropped", "dropped"}) {
    result_write_failures_.Add({{"reason", reason}});
  }
}

void DelivererMetrics::ResultWriteFailed(const std::string& reason) {
  result_write_failures_.Add({{"reason", reason}}).Increment();
}

void DelivererMetrics::Attempt(const std::string& result, const std::string& format,
                               double seconds) {
  attempts_.Add({{"result", result}, {"format", format}}).Increment();
  attempt_seconds_.Observe(seconds);
}

void DelivererMetrics::Finished(const std::string& outcome) {
  finished_.Add({{"outcome", outcome}}).Increment();
}

void DelivererMetrics::EndToEnd(double seconds) { end_to_end_seconds_.Observe(seconds); }

void DelivererMetrics::QueueDepth(double pending, double in_flight, double oldest_due_seconds) {
  queue_depth_.Add({{"state", "pending"}}).Set(pending);
  queue_depth_.Add({{"state", "in_flight"}}).Set(in_flight);
  oldest_due_.Add({}).Set(oldest_due_seconds);
}

void DelivererMetrics::FailingEndpoints(const std::map<std::string, int64_t>& by_org) {
  for (auto it = failing_orgs_.begin(); it != failing_orgs_.end();) {
    if (by_org.count(*it) == 0) {
      failing_endpoints_.Remove(&failing_endpoints_.Add({{"org", *it}}));
      it = failing_orgs_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [org, n] : by_org) {
    failing_endpoints_.Add({{"org", org}}).Set(static_cast<double>(n));
    failing_orgs_.insert(org);
  }
}

void DelivererMetrics::ClaimFailed() { claim_errors_.Increment(); }

void DelivererMetrics::NoQueueDepth() {
  FailingEndpoints({});
  for (const char* state : {"pending", "in_flight"}) {
    prometheus::Gauge& g = queue_depth_.Add({{"state", state}});
    queue_depth_.Remove(&g);
  }
  oldest_due_.Remove(&oldest_due_.Add({}));
}

void DelivererMetrics::InFlight(double n) { inflight_.Set(n); }

void DelivererMetrics::EndpointsDisabled(int n) { endpoints_disabled_.Increment(n); }

}  // namespace argus
