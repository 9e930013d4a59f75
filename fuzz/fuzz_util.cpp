// Shared helpers of the fuzz targets: the per-process scratch folder that path-based readers
// (IDX, images) are fed through. Linked into each fuzzer and into the test suite.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fuzz/fuzz_target.hpp"

namespace octet::fuzz {

std::string scratch_file(const std::string& name, const uint8_t* data, size_t size) {
  // One folder per process: parallel fuzzers and ctest -j never share a file.
  // Removed when the process exits normally.
  struct Scratch {
    std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("octet-fuzz-" + std::to_string(getpid()));
    ~Scratch() {
      std::error_code ec;
      std::filesystem::remove_all(dir, ec);
    }
  };
  static const Scratch scratch;
  const std::filesystem::path path = scratch.dir / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out) fail(path.string(), ": cannot write the fuzz input");
  return path.string();
}

}  // namespace octet::fuzz
