// The subcommands, in the order `octet --help` lists them.
#include "tools/octet/commands.hpp"

namespace octet::cli {

Command inspect_command();
Command run_command();
Command bench_command();
Command convert_command();
Command quantize_command();
Command eval_command();
Command ops_command();

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      inspect_command(),
      run_command(),
      bench_command(),
      convert_command(),
      quantize_command(),
      eval_command(),
      ops_command(),
  };
  return table;
}

}  // namespace octet::cli
