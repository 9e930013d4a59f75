// The one exception type octet throws. Every message names the file, node or value it is
// about, so a user can act on it without a debugger; the CLI catches it at main.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace octet {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// Builds a message from any streamable parts: fail("node '", name, "': bad axis ", axis).
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

// A value quoted in a message: whole when short, else its start and its length, so that a
// 50 MB string in a file does not become a 50 MB message.
inline std::string excerpt(const std::string& text, size_t max = 80) {
  if (text.size() <= max) return text;
  return cat(text.substr(0, max), "... (", text.size(), " characters)");
}

template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw Error(cat(parts...));
}

}  // namespace octet
