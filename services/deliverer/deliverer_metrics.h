#ifndef ARGUS_SERVICES_DELIVERER_DELIVERER_METRICS_H_
#define ARGUS_SERVICES_DELIVERER_DELIVERER_METRICS_H_

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <set>
#include <string>

namespace argus {

// The deliverer's metrics, names as DESIGN.md fixes them:
//   argus_webhook_delivery_attempts_total{result,format}
//   argus_webhook_deliveries_finished_total{outcome}
//   argus_webhook_attempt_duration_seconds, argus_webhook_end_to_end_seconds
//   argus_webhook_queue_depth{state}, argus_webhook_inflight
// plus argus_webhook_failing_endpoints{org} and argus_webhook_claim_errors_total
// plus argus_webhook_oldest_due_seconds (age of the oldest due, unclaimed
// delivery) and argus_webhook_endpoints_disabled_total (410 Gone or
// auto-disable), for alerts, and argus_webhook_result_write_failures_total
// {reason} (see ResultRecorder).
class DelivererMetrics {
 public:
  explicit DelivererMetrics(prometheus::Registry& registry);

  // `result`: success, http_error, timeout, network, dns, tls, ssrf_blocked,
  // poison (claimed again and again without a result: quarantined).
  // `format`: native, slack, discord.
  void Attempt(const std::string& result, const std::string& format, double seconds);
  void Finished(const std::string& outcome);  // succeeded, failed, cancelled
  void EndToEnd(double seconds);
  // The whole queue's depth: exported by one replica at a time (the queue
  // reporter); the others call NoQueueDepth, so sum() over replicas is right.
  void QueueDepth(double pending, double in_flight, double oldest_due_seconds);
  void NoQueueDepth();
  // argus_webhook_failing_endpoints{org} (reporter only, like the depth):
  // orgs absent from `by_org` lose their series.
  void FailingEndpoints(const std::map<std::string, int64_t>& by_org);
  void ClaimFailed();
  void InFlight(double n);
  void EndpointsDisabled(int n);
  // `reason`: transient, row, body_dropped, dropped.
  void ResultWriteFailed(const std::string& reason);

 private:
  prometheus::Family<prometheus::Counter>& attempts_;
  prometheus::Family<prometheus::Counter>& finished_;
  prometheus::Histogram& attempt_seconds_;
  prometheus::Histogram& end_to_end_seconds_;
  prometheus::Family<prometheus::Gauge>& queue_depth_;
  prometheus::Gauge& inflight_;
  prometheus::Family<prometheus::Gauge>& oldest_due_;
  prometheus::Counter& endpoints_disabled_;
  prometheus::Family<prometheus::Counter>& result_write_failures_;
  prometheus::Family<prometheus::Gauge>& failing_endpoints_;
  std::set<std::string> failing_orgs_;  // orgs with a failing_endpoints series
  prometheus::Counter& claim_errors_;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_DELIVERER_METRICS_H_
