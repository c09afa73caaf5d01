#include "common/json_text.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace argus {

namespace {

// Reads without building anything (nlohmann's SAX parser is iterative) and
// keeps why it stopped.
struct ErrorRecorder : nlohmann::json_sax<nlohmann::json> {
  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return true; }
  bool key(string_t&) override { return true; }
  bool end_object() override { return true; }
  bool start_array(std::size_t) override { return true; }
  bool end_array() override { return true; }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    number_overflow = e.id == 406;
    return false;
  }
  bool number_overflow = false;
};

}  // namespace

absl::Status CheckJsonObjectText(absl::string_view field, absl::string_view text) {
  auto not_an_object = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a JSON object, like {\"userId\": \"u1\"}"));
  };
  if (text.find('\0') != absl::string_view::npos) return not_an_object();
  absl::string_view trimmed = absl::StripLeadingAsciiWhitespace(text);
  if (trimmed.empty() || trimmed.front() != '{') return not_an_object();
  ErrorRecorder recorder;
  if (nlohmann::json::sax_parse(text.begin(), text.end(), &recorder)) return absl::OkStatus();
  if (recorder.number_overflow) {
    return absl::InvalidArgumentError(
        absl::StrCat(field,
                     " holds a number beyond the range of a double (about ±1.8e308), which JSON "
                     "parsers cannot read: send it as a string"));
  }
  return not_an_object();
}

bool IsJsonObjectText(absl::string_view text) { return CheckJsonObjectText("", text).ok(); }

int JsonNestingDepth(absl::string_view text) {
  int depth = 0;
  int deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '{':
      case '[':
        deepest = std::max(deepest, ++depth);
        break;
      case '}':
      case ']':
        --depth;
        break;
      default:
        break;
    }
  }
  return deepest;
}

}  // namespace argus
