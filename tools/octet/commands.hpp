// The subcommand table and the small argument parser every subcommand shares.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "octet/tensor.hpp"

namespace octet::cli {

struct HelpRequested {};
struct Command;

// Parses "--flag value", "--flag=value" and "--switch"; positionals in order. A flag not in
// the command's list is an error naming it.
class Args {
 public:
  Args(int argc, char** argv, const Command& command);
  bool has(const std::string& flag) const { return values_.count(flag) != 0; }
  std::string get(const std::string& flag, const std::string& fallback = "") const;
  std::vector<std::string> get_all(const std::string& flag) const;
  int get_int(const std::string& flag, int fallback) const;
  double get_double(const std::string& flag, double fallback) const;
  const std::vector<std::string>& positionals() const { return positionals_; }
  // The one positional the command takes (the model path), or an error naming what is missing.
  std::string positional(size_t i, const char* what) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::vector<std::string> positionals_;
};

struct Command {
  const char* name;
  const char* summary;
  const char* help;
  std::vector<std::string> value_flags;   // flags that take a value
  std::vector<std::string> switch_flags;  // flags without a value
  int (*run)(const Args& args);
};

const std::vector<Command>& command_table();

// True when two paths name one file: equal after resolving ".", ".." and symlinks, or hard
// links to the same inode.
bool same_file(const std::string& a, const std::string& b);

// Checked before any work starts: no output path (flag, path) may name an input file or
// another output; the error names both flags. Empty paths are skipped.
using NamedPaths = std::vector<std::pair<std::string, std::string>>;
void check_output_paths(const NamedPaths& outputs, const NamedPaths& inputs);

// --threads N for every subcommand: 0 (the default) means every core, a negative count is an
// error. The engine may still run a model of small layers on one (see CompiledModel::threads).
int parse_threads(const Args& args);

// A number of samples (--subset, --subset-size, --eval-subset): at least 1, the same rule for
// every command; leaving the flag out is what means "all" (0 used to mean all for some flags
// and be an error for others).
size_t parse_sample_count(const std::string& flag, const std::string& text);

// "NAME=1,3,224,224" -> {NAME, {1,3,224,224}}.
std::pair<std::string, Shape> parse_shape_flag(const std::string& text);

}  // namespace octet::cli
