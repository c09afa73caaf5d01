#ifndef ARGUS_COMMON_PROTO_TIME_H_
#define ARGUS_COMMON_PROTO_TIME_H_

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/timestamp.pb.h>

#include <cstdint>

#include "absl/time/time.h"

namespace argus {

void SetTimestamp(absl::Time t, google::protobuf::Timestamp* out);
// Microseconds since the Unix epoch, as stored rows carry them.
void SetTimestampMicros(int64_t unix_us, google::protobuf::Timestamp* out);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);

void SetDuration(absl::Duration d, google::protobuf::Duration* out);
absl::Duration FromDuration(const google::protobuf::Duration& d);

}  // namespace argus

#endif  // ARGUS_COMMON_PROTO_TIME_H_
