#include "common/page_token.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "common/proto_time.h"

namespace argus {

std::string EncodePageToken(const PageCursor& cursor) {
  return absl::WebSafeBase64Escape(absl::StrCat("v1:", cursor.time_us, ":", cursor.id));
}

CursorParams ToCursorParams(const std::optional<PageCursor>& cursor) {
  if (!cursor) return {};
  return {cursor->time_us, cursor->id};
}

absl::StatusOr<std::optional<PageCursor>> DecodePageToken(absl::string_view token) {
  if (token.empty()) return std::nullopt;
  auto invalid = [] {
    return absl::InvalidArgumentError(
        "invalid page_token: pass the next_page_token of the previous page unchanged");
  };
  std::string raw;
  if (token.size() > 200 || !absl::WebSafeBase64Unescape(token, &raw)) return invalid();
  std::vector<absl::string_view> parts = absl::StrSplit(raw, ':');
  PageCursor cursor;
  if (parts.size() != 3 || parts[0] != "v1" || !absl::SimpleAtoi(parts[1], &cursor.time_us) ||
      !IsUuid(parts[2])) {
    return invalid();
  }
  // Ours are row times: within what a timestamp holds (years 1..9999).
  if (cursor.time_us < kMinTimestampSeconds * 1000000 ||
      cursor.time_us > kMaxTimestampSeconds * 1000000) {
    return invalid();
  }
  cursor.id = std::string(parts[2]);
  return cursor;
}

absl::StatusOr<int> EffectivePageSize(int requested, int default_size, int max_size) {
  if (requested < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("page_size must be between 0 and ", max_size, ", got ", requested));
  }
  if (requested == 0) return default_size;
  return requested > max_size ? max_size : requested;
}

}  // namespace argus
