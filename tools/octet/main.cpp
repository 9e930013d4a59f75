// The octet command: dispatches to one subcommand per file (see tools/octet/README.md).
// Every error is caught here, printed as "octet: error: ..." and turned into exit code 1.
#include <cstring>
#include <iostream>

#include "octet/error.hpp"
#include "tools/octet/commands.hpp"

int main(int argc, char** argv) {
  using namespace octet::cli;
  const auto& commands = command_table();
  auto usage = [&](std::ostream& os) {
    os << "usage: octet <command> [options]\n\ncommands:\n";
    for (const Command& c : commands) os << "  " << c.name << std::string(10 - std::strlen(c.name), ' ') << c.summary << "\n";
    os << "\n'octet <command> --help' describes a command.\n";
  };
  if (argc < 2) { usage(std::cerr); return 2; }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") { usage(std::cout); return 0; }
  if (name == "--version") { std::cout << "octet 0.1.0\n"; return 0; }
  for (const Command& c : commands) {
    if (name != c.name) continue;
    try {
      return c.run(Args(argc - 2, argv + 2, c));
    } catch (const HelpRequested&) {
      std::cout << c.help;
      return 0;
    } catch (const octet::Error& e) {
      std::cerr << "octet " << name << ": error: " << e.what() << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "octet " << name << ": internal error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "octet: unknown command '" << name << "'\n\n";
  usage(std::cerr);
  return 2;
}
