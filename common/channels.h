#ifndef ARGUS_COMMON_CHANNELS_H_
#define ARGUS_COMMON_CHANNELS_H_

namespace argus {

// The PostgreSQL NOTIFY channels the services wake each other with. A
// notification is only a hint that something committed: every listener
// also polls, so one that is lost costs latency, never data.

// Deliveries became due (a publish, a redelivery, an endpoint.disabled
// event): deliverers claim. No payload.
inline constexpr char kDeliveriesChannel[] = "argus_deliveries";
// An org's subscriptions changed (payload: the org id): event-ingest drops
// its cached endpoints of that org. Sent by MarkSubscriptionsChanged.
inline constexpr char kEndpointsChannel[] = "argus_endpoints";
// session.created captures committed: the debouncer counts them. No payload.
inline constexpr char kCapturesChannel[] = "argus_captures";

}  // namespace argus

#endif  // ARGUS_COMMON_CHANNELS_H_
