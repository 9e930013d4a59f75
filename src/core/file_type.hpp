// What kind of file a path names, checked with stat() before anything opens it: opening a FIFO
// with no writer blocks forever, and a folder, a device or a socket is never an input octet can
// read nor an output it may replace. One place words these messages, for inputs and outputs.
#pragma once
#include <string>

namespace octet {

// "" for a regular file (after following symlinks), else why it is not one: "no such file",
// "is a folder, not a file", "is a FIFO (named pipe), not a regular file", ...
std::string not_a_regular_file(const std::string& path);

// Throws "PATH: <why>" unless `path` is a regular file. Call it before opening an input.
void require_regular_file(const std::string& path);

// Reads a whole regular file (after require_regular_file), or throws naming it.
std::string read_regular_file(const std::string& path);

}  // namespace octet
