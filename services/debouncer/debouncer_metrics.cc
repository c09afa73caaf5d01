#include "services/debouncer/debouncer_metrics.h"

namespace argus {

DebouncerMetrics::DebouncerMetrics(prometheus::Registry& registry)
    : open(prometheus::BuildGauge()
               .Name("argus_webhook_test_sessions_open")
               .Help("Test sessions with captures and no completion yet.")
               .Register(registry)
               .Add({})),
      completed(prometheus::BuildCounter()
                    .Name("argus_webhook_test_sessions_completed_total")
                    .Help("test_session.completed events published by this replica.")
                    .Register(registry)
                    .Add({})),
      skipped(prometheus::BuildCounter()
                  .Name("argus_webhook_captures_skipped_total")
                  .Help("session.created events that could not be counted into a test session "
                        "(their data is refused by the database) and were skipped.")
                  .Register(registry)
                  .Add({})) {}

}  // namespace argus
