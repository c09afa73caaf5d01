#include "common/delivery_vocabulary.h"

#include "argus/webhooks/v1/endpoint_registry.pb.h"

namespace argus {
namespace {

namespace v1 = ::argus::webhooks::v1;

template <typename A, typename B>
constexpr bool Same(A a, B b) {
  return static_cast<int>(a) == static_cast<int>(b);
}

static_assert(Same(DeliveryState::kPending, v1::PENDING));
static_assert(Same(DeliveryState::kInFlight, v1::IN_FLIGHT));
static_assert(Same(DeliveryState::kSucceeded, v1::SUCCEEDED));
static_assert(Same(DeliveryState::kFailed, v1::FAILED));
static_assert(Same(DeliveryState::kCancelled, v1::CANCELLED));
static_assert(Same(EndpointState::kEnabled, v1::ENABLED));
static_assert(Same(EndpointState::kPaused, v1::PAUSED));
static_assert(Same(EndpointState::kDisabled, v1::DISABLED));
static_assert(Same(Ordering::kUnordered, v1::ORDERING_UNSPECIFIED));
static_assert(Same(Ordering::kOrdered, v1::ORDERED));
static_assert(Same(OrderedFailure::kPause, v1::PAUSE));
static_assert(Same(OrderedFailure::kSkip, v1::SKIP));
static_assert(Same(Format::kNative, v1::NATIVE));
static_assert(Same(Format::kSlack, v1::SLACK));
static_assert(Same(Format::kDiscord, v1::DISCORD));

constexpr struct {
  AttemptError error;
  absl::string_view tag;
} kErrorTags[] = {
    {AttemptError::kNone, ""},           {AttemptError::kTimeout, "timeout"},
    {AttemptError::kDns, "dns"},         {AttemptError::kConnect, "connect"},
    {AttemptError::kTls, "tls"},         {AttemptError::kSsrfBlocked, "ssrf_blocked"},
    {AttemptError::kNetwork, "network"}, {AttemptError::kSigning, "signing"},
    {AttemptError::kPoison, "poison"},
};

}  // namespace

EndpointState ApiEndpointState(int stored) {
  return stored == static_cast<int>(EndpointState::kPausedInOrder)
             ? EndpointState::kPaused
             : static_cast<EndpointState>(stored);
}

absl::string_view FormatName(Format format) {
  switch (format) {
    case Format::kSlack:
      return "slack";
    case Format::kDiscord:
      return "discord";
    case Format::kNative:
      break;
  }
  return "native";
}

Format FormatFromInt(int value) {
  return value == static_cast<int>(Format::kSlack) || value == static_cast<int>(Format::kDiscord)
             ? static_cast<Format>(value)
             : Format::kNative;
}

absl::string_view AttemptErrorTag(AttemptError error) {
  for (const auto& e : kErrorTags) {
    if (e.error == error) return e.tag;
  }
  return "network";
}

AttemptError AttemptErrorFromTag(absl::string_view tag) {
  for (const auto& e : kErrorTags) {
    if (e.tag == tag) return e.error;
  }
  return AttemptError::kNetwork;
}

}  // namespace argus
