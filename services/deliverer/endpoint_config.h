#ifndef ARGUS_SERVICES_DELIVERER_ENDPOINT_CONFIG_H_
#define ARGUS_SERVICES_DELIVERER_ENDPOINT_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/delivery_vocabulary.h"

namespace argus {

// What the deliverer needs of an endpoint to send to it: one immutable
// copy per config version, shared by every claimed delivery (see
// EndpointCache).
struct EndpointConfig {
  struct Secret {
    std::string sealed;                 // see common/secret_box.h
    std::optional<absl::Time> expires;  // nullopt: the current one
  };

  std::string id;
  std::string org_slug;
  std::string url;
  Format format = Format::kNative;
  bool enabled = true;         // enabled and not deleted
  std::string sealed_headers;  // custom headers, sealed (see common/sealed_headers.h)
  std::map<std::string, std::string> legacy_headers;  // plain, when not sealed yet
  std::vector<absl::Duration> retry_schedule;         // empty = default
  uint32_t rate_limit_per_second = 0;
  // What a final failure of a sequenced delivery does (ordered endpoints).
  OrderedFailure on_ordered_failure = OrderedFailure::kPause;
  std::vector<Secret> secrets;  // newest first
  int64_t config_version = 0;

  // The sealed secrets still live at `now`, newest first.
  std::vector<std::string> LiveSecrets(absl::Time now) const;
};

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_ENDPOINT_CONFIG_H_
