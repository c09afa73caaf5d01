#ifndef ARGUS_COMMON_PROTO_TIME_H_
#define ARGUS_COMMON_PROTO_TIME_H_

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace argus {

// The range google.protobuf.Timestamp defines: years 1..9999 UTC.
inline constexpr int64_t kMinTimestampSeconds = -62135596800;
inline constexpr int64_t kMaxTimestampSeconds = 253402300799;

// INVALID_ARGUMENT naming `field` when `ts` is outside that range or its
// nanos are not 0..999999999.
absl::Status CheckTimestamp(absl::string_view field, const google::protobuf::Timestamp& ts);

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out);
// Microseconds since the Unix epoch, as stored rows carry them.
void SetTimestampMicros(int64_t unix_us, google::protobuf::Timestamp* out);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);

void SetDuration(absl::Duration d, google::protobuf::Duration* out);
absl::Duration FromDuration(const google::protobuf::Duration& d);

}  // namespace argus

#endif  // ARGUS_COMMON_PROTO_TIME_H_
