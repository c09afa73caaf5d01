#include "common/clock.h"

#include "absl/time/clock.h"

namespace argus {

const Clock& Clock::Real() {
  static const class RealClock final : public Clock {
   public:
    absl::Time Now() const override { return absl::Now(); }
  } real;
  return real;
}

}  // namespace argus
