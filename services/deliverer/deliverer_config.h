#ifndef ARGUS_SERVICES_DELIVERER_DELIVERER_CONFIG_H_
#define ARGUS_SERVICES_DELIVERER_DELIVERER_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "services/deliverer/delivery_store.h"
#include "services/deliverer/dispatcher.h"
#include "services/deliverer/partition_keeper.h"

namespace argus {

// The deliverer's own flags, checked (beside LoadCommonConfig's).
struct DelivererConfig {
  Dispatcher::Options dispatcher;  // replica_id defaults to host-pid-random
  AutoDisablePolicy auto_disable;
  PartitionKeeper::Options partitions;
  std::string ca_bundle;  // extra PEM CAs for outbound TLS; "" = none
};

// INVALID_ARGUMENT naming the flag: a count below 1, a non-positive
// --request_timeout, a --lease under twice it, a --retention under 24h.
absl::StatusOr<DelivererConfig> LoadDelivererConfig();

}  // namespace argus

#endif  // ARGUS_SERVICES_DELIVERER_DELIVERER_CONFIG_H_
