// The shared argument parser.
#include <algorithm>
#include <filesystem>
#include <sstream>

#include "octet/error.hpp"
#include "octet/output.hpp"
#include "tools/octet/commands.hpp"

namespace octet::cli {

Args::Args(int argc, char** argv, const Command& command) {
  auto contains = [](const std::vector<std::string>& list, const std::string& s) {
    return std::find(list.begin(), list.end(), s) != list.end();
  };
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") throw HelpRequested{};
    if (arg.size() > 1 && arg[0] == '-' && !(arg.size() > 1 && (std::isdigit(arg[1]) || arg[1] == '.'))) {
      std::string flag = arg, value;
      bool inline_value = false;
      if (auto eq = arg.find('='); eq != std::string::npos) {
        flag = arg.substr(0, eq);
        value = arg.substr(eq + 1);
        inline_value = true;
      }
      if (contains(command.switch_flags, flag)) {
        if (inline_value) fail("flag ", flag, " takes no value");
        values_[flag].push_back("1");
      } else if (contains(command.value_flags, flag)) {
        if (!inline_value) {
          if (i + 1 >= argc) fail("flag ", flag, " needs a value");
          value = argv[++i];
        }
        values_[flag].push_back(value);
      } else {
        fail("unknown flag '", flag, "' for 'octet ", command.name, "' (see 'octet ", command.name, " --help')");
      }
    } else {
      positionals_.push_back(arg);
    }
  }
}

std::string Args::get(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second.back();
}

std::vector<std::string> Args::get_all(const std::string& flag) const {
  auto it = values_.find(flag);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

int Args::get_int(const std::string& flag, int fallback) const {
  if (!has(flag)) return fallback;
  const std::string v = get(flag);
  size_t used = 0;
  int result = 0;
  try { result = std::stoi(v, &used); } catch (...) { used = 0; }
  if (used != v.size() || v.empty()) fail("flag ", flag, " wants an integer, got '", v, "'");
  return result;
}

double Args::get_double(const std::string& flag, double fallback) const {
  if (!has(flag)) return fallback;
  const std::string v = get(flag);
  size_t used = 0;
  double result = 0;
  try { result = std::stod(v, &used); } catch (...) { used = 0; }
  if (used != v.size() || v.empty()) fail("flag ", flag, " wants a number, got '", v, "'");
  return result;
}

std::string Args::positional(size_t i, const char* what) const {
  if (i >= positionals_.size()) fail("missing ", what);
  return positionals_[i];
}

int parse_threads(const Args& args) {
  const int threads = args.get_int("--threads", 0);
  if (threads < 0) fail("--threads wants 0 (every core) or a positive count, got ", threads);
  return threads;
}

std::pair<std::string, Shape> parse_shape_flag(const std::string& text) {
  const auto eq = text.rfind('=');
  if (eq == std::string::npos || eq == 0) fail("--shape wants NAME=D0,D1,..., got '", text, "'");
  Shape shape;
  std::stringstream ss(text.substr(eq + 1));
  std::string part;
  while (std::getline(ss, part, ',')) {
    size_t used = 0;
    int64_t d = -1;
    try { d = std::stoll(part, &used); } catch (...) { used = 0; }
    if (used != part.size() || d <= 0) fail("--shape ", text, ": '", part, "' is not a positive dimension");
    shape.push_back(d);
  }
  if (shape.empty()) fail("--shape ", text, ": no dimensions");
  return {text.substr(0, eq), shape};
}

size_t parse_sample_count(const std::string& flag, const std::string& text) {
  size_t used = 0;
  long long v = -1;
  try { v = std::stoll(text, &used); } catch (...) { used = 0; }
  if (used != text.size() || v < 1)
    fail(flag, " wants a number of samples of at least 1, got '", excerpt(text), "' (leave the flag out for all samples)");
  return static_cast<size_t>(v);
}

bool same_file(const std::string& a, const std::string& b) {
  namespace fs = std::filesystem;
  auto canonical = [](const std::string& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    return ec ? fs::absolute(p) : c;
  };
  if (canonical(a) == canonical(b)) return true;
  std::error_code ec;
  return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

void check_output_paths(const NamedPaths& outputs, const NamedPaths& inputs) {
  for (size_t i = 0; i < outputs.size(); ++i) {
    const auto& [flag, path] = outputs[i];
    if (path.empty()) continue;
    for (const auto& [in_flag, in_path] : inputs)
      if (!in_path.empty() && same_file(path, in_path))
        fail(flag, " ", path, ": refusing to overwrite the input file given as ", in_flag, "; choose another path");
    for (size_t j = 0; j < i; ++j)
      if (!outputs[j].second.empty() && same_file(path, outputs[j].second))
        fail(flag, " ", path, " and ", outputs[j].first, " ", outputs[j].second, " name the same file");
    try {
      check_output_target(path);  // a folder, a device or a FIFO would be replaced by the rename
    } catch (const Error& e) {
      fail(flag, " ", e.what());
    }
  }
}

}  // namespace octet::cli
