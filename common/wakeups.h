#ifndef ARGUS_COMMON_WAKEUPS_H_
#define ARGUS_COMMON_WAKEUPS_H_

#include <pqxx/transaction_base>
#include <string>

namespace argus {

// The statements that tell other services something changed, written once.
// Both take effect when `tx` commits.

// An org's subscriptions changed: bumps its endpoints_version (event-ingest
// compares it inside each publishing transaction, so a change is never
// missed) and NOTIFYs kEndpointsChannel so its cache drops the org at once.
void MarkSubscriptionsChanged(pqxx::transaction_base& tx, const std::string& org_id);

// Deliveries became due: NOTIFY kDeliveriesChannel.
void WakeDeliverers(pqxx::transaction_base& tx);

}  // namespace argus

#endif  // ARGUS_COMMON_WAKEUPS_H_
