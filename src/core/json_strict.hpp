// JSON as octet reads it from users (configs, --preprocess): nlohmann's parser, but a key given
// twice in one object is an error naming it, not "the last one wins" without a word, and the
// parser's message is cut to an excerpt (it quotes the token it choked on, which may be 50 MB).
#pragma once
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "octet/error.hpp"

namespace octet {

inline nlohmann::json parse_json_strict(const std::string& text, const std::string& origin) {
  using json = nlohmann::json;
  std::vector<std::set<std::string>> keys;  // per open object, the keys seen so far
  std::string duplicate;
  auto check = [&](int, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    else if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    else if (event == json::parse_event_t::key && !keys.empty() && duplicate.empty()) {
      std::string key = parsed.get<std::string>();
      if (!keys.back().insert(key).second) duplicate = std::move(key);
    }
    return true;
  };
  json j;
  try {
    j = json::parse(text, check);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number like 1E999
    fail(origin, ": not valid JSON: ", excerpt(e.what(), 200));
  }
  if (!duplicate.empty()) fail(origin, ": key '", excerpt(duplicate), "' is given twice in one object");
  return j;
}

}  // namespace octet
