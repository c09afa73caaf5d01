#include "services/debouncer/session_roller.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"
#include "common/pg_pool.h"
#include "services/debouncer/rollup.h"

namespace argus {
namespace {

constexpr int kScanBatch = 500;
constexpr int kCompleteBatch = 50;

}  // namespace

SessionRoller::SessionRoller(Options options, SessionStore* store, IngestClient* ingest,
                             DebouncerMetrics* metrics)
    : options_(std::move(options)), store_(store), ingest_(ingest), metrics_(metrics) {}

void SessionRoller::Start() {
  loop_.Start([this](bool stopping) -> std::optional<absl::Time> {
    if (stopping) return std::nullopt;
    CountNewCaptures();
    CompleteQuietSessions();
    absl::StatusOr<int64_t> open = store_->CountOpen();
    if (open.ok()) {
      metrics_->open.Set(static_cast<double>(*open));
    } else {
      LogWarning("counting open sessions failed",
                 {{"error", std::string(open.status().message())}});
    }
    return absl::Now() + options_.tick;
  });
}

void SessionRoller::CountNewCaptures() {
  for (;;) {
    absl::StatusOr<std::vector<CaptureEvent>> batch = store_->UncountedCaptures(kScanBatch);
    if (!batch.ok()) {
      LogWarning("reading captures failed", {{"error", std::string(batch.status().message())}});
      return;
    }
    for (const CaptureEvent& e : *batch) {
      // A capture arriving after a quiet window (we were away) first
      // completes the period it would otherwise have joined.
      for (int i = 0; i < 3; ++i) {
        absl::StatusOr<std::optional<SessionKey>> r =
            store_->CountCapture(e, options_.quiet_window);
        if (!r.ok() && IsTransientDatabaseError(r.status())) {
          LogWarning("counting a capture failed; retrying at the next tick",
                     {{"event", e.event_id}, {"error", std::string(r.status().message())}});
          return;
        }
        if (!r.ok()) {
          // Its data is the problem: it would fail forever and hold every
          // org's captures behind it. Skip it, say so, count it.
          if (absl::Status s = store_->SkipCapture(e); !s.ok()) return;
          metrics_->skipped.Increment();
          LogError("skipped a capture that cannot be counted",
                   {{"event", e.event_id}, {"error", std::string(r.status().message())}});
          break;
        }
        if (!r->has_value()) break;
        if (absl::StatusOr<std::string> done = Complete(**r); !done.ok()) return;
      }
    }
    if (!batch->empty()) {
      if (absl::Status s = store_->AdvanceCursor(batch->back().created); !s.ok()) {
        LogWarning("advancing the capture cursor failed; the next tick reads these again",
                   {{"error", std::string(s.message())}});
        return;
      }
    }
    if (static_cast<int>(batch->size()) < kScanBatch) return;
  }
}

void SessionRoller::CompleteQuietSessions() {
  absl::StatusOr<std::vector<SessionKey>> quiet =
      store_->QuietSessions(options_.quiet_window, kCompleteBatch);
  if (!quiet.ok()) {
    LogWarning("reading quiet sessions failed", {{"error", std::string(quiet.status().message())}});
    return;
  }
  // A completion that fails is logged by Complete; its session stays open
  // and the next tick tries again.
  for (const SessionKey& key : *quiet) Complete(key).status().IgnoreError();
}

absl::StatusOr<std::string> SessionRoller::Complete(const SessionKey& key) {
  absl::StatusOr<std::string> event_id = store_->Complete(
      key,
      [&](const OpenSession& s, const nlohmann::json& captures) -> absl::StatusOr<std::string> {
        RollupContext context{s.org_slug, key.project, key.label, key.period,
                              options_.dashboard_base_url};
        return ingest_->Publish(s.org_slug, key.project, "test_session.completed",
                                CompletionKey(key.project, key.label, key.period),
                                BuildRollup(context, captures).dump());
      });
  if (!event_id.ok()) {
    LogWarning("completing a test session failed",
               {{"label", key.label},
                {"period", absl::StrCat(key.period)},
                {"error", std::string(event_id.status().message())}});
    return event_id.status();
  }
  if (!event_id->empty()) {
    metrics_->completed.Increment();
    LogInfo("test session completed",
            {{"label", key.label}, {"period", absl::StrCat(key.period)}, {"event", *event_id}});
  }
  return event_id;
}

absl::StatusOr<std::string> SessionRoller::CompleteNow(const std::string& org_id,
                                                       const std::string& project,
                                                       const std::string& label) {
  CountNewCaptures();
  absl::StatusOr<SessionKey> key = store_->FindOpen(org_id, project, label);
  if (!key.ok()) return key.status();
  absl::StatusOr<std::string> event_id = Complete(*key);
  if (event_id.ok() && event_id->empty()) {
    return absl::AbortedError("the session is being completed by another replica right now");
  }
  return event_id;
}

}  // namespace argus
