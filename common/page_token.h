#ifndef ARGUS_COMMON_PAGE_TOKEN_H_
#define ARGUS_COMMON_PAGE_TOKEN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace argus {

// Where a keyset-paginated list resumes: after the row with this sort time
// and id. Opaque to clients (base64url).
struct PageCursor {
  int64_t time_us = 0;
  std::string id;
};

std::string EncodePageToken(const PageCursor& cursor);

// A cursor as two nullable SQL parameters (both null for the first page),
// for keyset conditions like ($n::bigint IS NULL OR (t, id) > (…)).
struct CursorParams {
  std::optional<int64_t> time_us;
  std::optional<std::string> id;
};
CursorParams ToCursorParams(const std::optional<PageCursor>& cursor);

// nullopt for an empty token (first page); INVALID_ARGUMENT "invalid
// page_token" for anything we did not issue.
absl::StatusOr<std::optional<PageCursor>> DecodePageToken(absl::string_view token);

// The rows of a keyset query run with LIMIT page_size + 1: keeps the first
// `page_size` and, when there were more, returns the cursor after the last
// kept one (`cursor_of(row)`); nullopt on the last page.
template <typename T, typename CursorOf>
std::optional<PageCursor> TrimPage(std::vector<T>& rows, int page_size, CursorOf cursor_of) {
  if (static_cast<int>(rows.size()) <= page_size) return std::nullopt;
  rows.resize(static_cast<size_t>(page_size));
  return cursor_of(rows.back());
}

// page_size as AIP-158 has it: 0 → `default_size`, above `max_size` →
// `max_size`, negative → INVALID_ARGUMENT.
absl::StatusOr<int> EffectivePageSize(int requested, int default_size = 50, int max_size = 100);

}  // namespace argus

#endif  // ARGUS_COMMON_PAGE_TOKEN_H_
