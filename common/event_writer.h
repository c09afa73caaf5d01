#ifndef ARGUS_COMMON_EVENT_WRITER_H_
#define ARGUS_COMMON_EVENT_WRITER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/transaction_base>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/pg_pool.h"

namespace argus {

// The one place events and their deliveries are written, whoever creates
// them (a publish, endpoint.disabled, webhook.test), and the one rule for
// which endpoints an event goes to.

// One enabled endpoint and what it subscribes to.
struct Subscription {
  std::string endpoint_id;
  std::string project;  // "" = every project
  std::vector<std::string> event_types;
};

// An org's enabled endpoints as of `version` (orgs.endpoints_version).
struct OrgSubscriptions {
  int64_t version = -1;
  std::vector<Subscription> subscriptions;
};

// The subscription rule: the endpoint ids of `subs` that an event of `type`
// in `project` goes to (project scope empty or equal, and an exact or
// "prefix.*" type match).
std::vector<std::string> MatchSubscribers(const OrgSubscriptions& subs, absl::string_view type,
                                          absl::string_view project);

// The org's enabled, live endpoints, with the version read before them (a
// change in between makes them look stale, never fresh).
OrgSubscriptions LoadSubscriptions(pqxx::transaction_base& tx, const std::string& org_id);

// A new event and the endpoints it goes to.
struct NewEventRow {
  std::string id;
  std::string project;  // "" = none
  std::string type;
  std::optional<absl::Time> occurred_at;
  std::string payload_json;
  std::vector<std::string> endpoint_ids;  // MatchSubscribers', or one chosen endpoint
  // Sent outside an ordered endpoint's order, without a sequence number
  // (webhook.test): it neither waits for the head nor takes a number.
  bool outside_order = false;
};

struct WrittenEvents {
  int64_t version = 0;  // the org's endpoints_version when written
  // The deliveries created, by event id (an endpoint no longer enabled and
  // live gets none).
  std::map<std::string, std::vector<std::string>> deliveries;
};

// Registers the statement WriteEvents runs with `pool` (prepared on every
// connection). Call once per pool, before WriteEvents runs on it.
void PrepareEventWriter(PgPool& pool);

// Inserts `events` and one pending delivery per (event, endpoint) in one
// statement; an ordered endpoint's get the next sequence numbers, in the
// order of `events`. With `expected_version`, nothing is inserted unless the org's
// endpoints_version still equals it (the caller's subscriptions are stale:
// compare the returned version).
WrittenEvents WriteEvents(pqxx::transaction_base& tx, const std::string& org_id,
                          const std::vector<NewEventRow>& events,
                          std::optional<int64_t> expected_version);

}  // namespace argus

#endif  // ARGUS_COMMON_EVENT_WRITER_H_
