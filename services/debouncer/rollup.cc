#include "services/debouncer/rollup.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/crypto.h"

namespace argus {
namespace {

using Json = nlohmann::json;

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

std::string PercentEncode(absl::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string SessionLabel(const Json& payload) {
  auto it = payload.find("sessionName");
  return it != payload.end() && it->is_string() ? it->get<std::string>() : "";
}

Json CaptureFromPayload(const Json& payload, absl::Time captured_at) {
  Json capture = Json::object();
  for (const char* key : {"eventName", "eventUniqueId", "appVersion", "deviceModel", "averageFps",
                          "avgFrameTime", "monoMemoryMb", "url", "projectName", "orgName"}) {
    auto it = payload.find(key);
    if (it != payload.end() && !it->is_null()) capture[key] = *it;
  }
  capture["capturedAt"] = Rfc3339(captured_at);
  return capture;
}

Json BuildRollup(const RollupContext& c, const Json& captures) {
  double fps_sum = 0, frame_sum = 0, peak = 0;
  int fps_n = 0, frame_n = 0;
  bool has_memory = false;
  std::string app_version, project_name = c.project, org_name = c.org;
  Json listed = Json::array();
  for (const Json& cap : captures) {
    if (cap.contains("averageFps") && cap["averageFps"].is_number()) {
      fps_sum += cap["averageFps"].get<double>();
      ++fps_n;
    }
    if (cap.contains("avgFrameTime") && cap["avgFrameTime"].is_number()) {
      frame_sum += cap["avgFrameTime"].get<double>();
      ++frame_n;
    }
    if (cap.contains("monoMemoryMb") && cap["monoMemoryMb"].is_number()) {
      peak = has_memory ? std::max(peak, cap["monoMemoryMb"].get<double>())
                        : cap["monoMemoryMb"].get<double>();
      has_memory = true;
    }
    if (cap.contains("appVersion") && cap["appVersion"].is_string()) {
      app_version = cap["appVersion"].get<std::string>();
    }
    if (cap.contains("projectName") && cap["projectName"].is_string()) {
      project_name = cap["projectName"].get<std::string>();
    }
    if (cap.contains("orgName") && cap["orgName"].is_string()) {
      org_name = cap["orgName"].get<std::string>();
    }
    Json item = cap;
    item.erase("projectName");
    item.erase("orgName");
    listed.push_back(std::move(item));
  }
  Json rollup = {
      {"sessionName", c.label},
      {"projectSlug", c.project},
      {"projectName", project_name},
      {"orgSlug", c.org},
      {"orgName", org_name},
      {"appVersion", app_version},
      {"captureCount", captures.size()},
      {"averageFps", fps_n ? Json(fps_sum / fps_n) : Json()},
      {"avgFrameTime", frame_n ? Json(frame_sum / frame_n) : Json()},
      {"peakMonoMemoryMb", has_memory ? Json(peak) : Json()},
      {"period", c.period},
      {"captures", listed},
      {"url", absl::StrCat(c.dashboard_base_url, "/", PercentEncode(c.org), "/",
                           PercentEncode(c.project), "/test-sessions/", PercentEncode(c.label))},
  };
  if (!captures.empty()) {
    rollup["firstCaptureAt"] = captures.front().value("capturedAt", "");
    rollup["lastCaptureAt"] = captures.back().value("capturedAt", "");
  }
  return rollup;
}

std::string CompletionKey(absl::string_view project, absl::string_view label, int period) {
  std::string digest = HexEncode(Sha256(absl::StrCat(project, std::string(1, '\0'), label)));
  return absl::StrCat("test_session.completed:", digest.substr(0, 32), ":", period);
}

}  // namespace argus
