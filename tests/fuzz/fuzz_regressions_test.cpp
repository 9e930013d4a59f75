// Replays every input committed under fuzz/regressions/<target>/ (each one crashed or hung a
// fuzzer once, and its fix landed with it) and fuzz/seeds/<target>/ through the same fuzz
// bodies the libFuzzer executables run. The plain suite thus keeps every fixed bug fixed;
// under OCTET_SANITIZE the replay also checks memory safety.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "fuzz/fuzz_target.hpp"

namespace octet::fuzz {
int onnx_loader(const uint8_t* data, size_t size);
int quant_config(const uint8_t* data, size_t size);
int npy(const uint8_t* data, size_t size);
int idx(const uint8_t* data, size_t size);
int image(const uint8_t* data, size_t size);
int graph_depth(const uint8_t* data, size_t size);
int node_eval(const uint8_t* data, size_t size);
}  // namespace octet::fuzz

namespace {

namespace fs = std::filesystem;
using Body = std::function<int(const uint8_t*, size_t)>;

const std::map<std::string, Body>& targets() {
  static const std::map<std::string, Body> t = {
      {"onnx_loader", octet::fuzz::onnx_loader}, {"quant_config", octet::fuzz::quant_config},
      {"npy", octet::fuzz::npy},                 {"idx", octet::fuzz::idx},
      {"image", octet::fuzz::image},             {"graph_depth", octet::fuzz::graph_depth},
      {"node_eval", octet::fuzz::node_eval},
  };
  return t;
}

// Replays the files of `root`/<target>/; returns how many ran.
size_t replay(const fs::path& root) {
  size_t count = 0;
  if (!fs::is_directory(root)) return 0;
  for (const fs::directory_entry& dir : fs::directory_iterator(root)) {
    if (!dir.is_directory()) continue;
    const std::string target = dir.path().filename().string();
    const auto it = targets().find(target);
    EXPECT_NE(it, targets().end()) << dir.path() << " names no fuzz target";
    if (it == targets().end()) continue;
    for (const fs::directory_entry& file : fs::directory_iterator(dir.path())) {
      if (!file.is_regular_file() || file.path().filename().string()[0] == '.') continue;
      std::ifstream in(file.path(), std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      const std::string bytes = ss.str();
      SCOPED_TRACE(file.path().string());
      // Only octet::Error may escape the target (it swallows those); anything else fails here.
      EXPECT_NO_THROW(it->second(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
      ++count;
    }
  }
  return count;
}

TEST(FuzzRegressions, EveryCommittedCrashInputIsRefusedCleanly) {
  replay(fs::path(OCTET_SOURCE_DIR) / "fuzz" / "regressions");
}

TEST(FuzzRegressions, CommittedSeedsRunThroughEveryTarget) {
  const size_t n = replay(fs::path(OCTET_SOURCE_DIR) / "fuzz" / "seeds");
  EXPECT_GT(n, 0u) << "fuzz/seeds/ holds no seed inputs";
}

}  // namespace
