// The subcommands, in the order `octet --help` lists them.
#include "tools/octet/commands.hpp"

namespace octet::cli {

Command inspect_command();

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = {
      inspect_command(),
  };
  return table;
}

}  // namespace octet::cli
