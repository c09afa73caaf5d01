#ifndef ARGUS_SERVICES_DEBOUNCER_ROLLUP_H_
#define ARGUS_SERVICES_DEBOUNCER_ROLLUP_H_

#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace argus {

// One capture as the rollup keeps it, from a session.created payload:
// eventName, eventUniqueId, appVersion, deviceModel, averageFps,
// avgFrameTime, monoMemoryMb (when present), url, capturedAt.
nlohmann::json CaptureFromPayload(const nlohmann::json& payload, absl::Time captured_at);

// data.sessionName of a session.created payload; "" when absent.
std::string SessionLabel(const nlohmann::json& payload);

struct RollupContext {
  std::string org;      // slug
  std::string project;  // slug
  std::string label;
  int period = 1;
  std::string dashboard_base_url;  // e.g. https://argus.example.com
};

// The test_session.completed payload: sessionName, projectSlug, projectName,
// orgSlug, orgName, appVersion (of the latest capture), captureCount,
// averageFps and avgFrameTime (means over captures that report them),
// peakMonoMemoryMb (max), period, firstCaptureAt, lastCaptureAt, captures,
// url (the dashboard page of the session).
nlohmann::json BuildRollup(const RollupContext& context, const nlohmann::json& captures);

// The idempotency key of one period's completion: stable across restarts and
// replicas, at most 100 bytes.
std::string CompletionKey(absl::string_view project, absl::string_view label, int period);

}  // namespace argus

#endif  // ARGUS_SERVICES_DEBOUNCER_ROLLUP_H_
