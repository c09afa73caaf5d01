#ifndef ARGUS_COMMON_DELIVERY_VOCABULARY_H_
#define ARGUS_COMMON_DELIVERY_VOCABULARY_H_

#include "absl/strings/string_view.h"

namespace argus {

// The words of the delivery domain, in one place. The enum values are the
// proto enums' (argus.webhooks.v1, checked at compile time in the .cc) and
// the integers PostgreSQL stores (SQL names each literal where it uses it,
// e.g. `state = 1 /* pending */`; vocabulary_db_test checks the schema).

enum class DeliveryState : int {
  kPending = 1,
  kInFlight = 2,
  kSucceeded = 3,
  kFailed = 4,
  kCancelled = 5,
};

// Why a queued delivery may not be claimed (delivery_queue.hold, migration
// 0008). Not in the API.
enum class QueueHold : int {
  kReady = 0,    // claimable once due
  kOff = 1,      // its endpoint is paused, disabled or deleted
  kMetered = 2,  // its endpoint is rate-limited: waiting for a token
  kBehind = 3,   // an ordered endpoint's, waiting for the head (migration 0009)
};

enum class EndpointState : int {
  kEnabled = 1,
  kPaused = 2,
  kDisabled = 3,
  // Stored only: an ordered endpoint whose head failed (PAUSED in the API).
  // It still gets new deliveries; they wait behind the head.
  kPausedInOrder = 4,
};

// The API's state of a stored one.
EndpointState ApiEndpointState(int stored);

// argus.webhooks.v1.Ordering and OrderedFailure, as stored.
enum class Ordering : int { kUnordered = 0, kOrdered = 1 };
enum class OrderedFailure : int { kPause = 1, kSkip = 2 };

enum class Format : int {
  kNative = 1,
  kSlack = 2,
  kDiscord = 3,
};

// The `format` label of the metrics: native, slack, discord.
absl::string_view FormatName(Format format);
// An integer read from the database or a request; anything unknown is native.
Format FormatFromInt(int value);

// Why an attempt got no HTTP answer, or could not be made.
enum class AttemptError {
  kNone,         // an answer arrived (any status)
  kTimeout,      // no answer within the request timeout
  kDns,          // the host name did not resolve
  kConnect,      // the connection was refused or reset
  kTls,          // the TLS handshake or certificate check failed
  kSsrfBlocked,  // the address is one the target policy forbids
  kNetwork,      // any other transport failure
  kSigning,      // our side: a key that does not open the endpoint's secrets
  kPoison,       // claimed again and again without a result: quarantined
};

// The tag the delivery log, the API and the docs name: "" for kNone, then
// timeout, dns, connect, tls, ssrf_blocked, network, signing, poison.
absl::string_view AttemptErrorTag(AttemptError error);
// The inverse; an unknown tag is kNetwork.
AttemptError AttemptErrorFromTag(absl::string_view tag);

// The one success rule: an answer arrived and it was 2xx.
inline bool IsSuccessfulAttempt(int status_code, AttemptError error) {
  return error == AttemptError::kNone && status_code >= 200 && status_code < 300;
}
inline bool IsSuccessfulAttempt(int status_code, absl::string_view error_tag) {
  return IsSuccessfulAttempt(status_code, AttemptErrorFromTag(error_tag));
}

}  // namespace argus

#endif  // ARGUS_COMMON_DELIVERY_VOCABULARY_H_
