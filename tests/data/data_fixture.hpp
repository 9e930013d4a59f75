// Shared set-up for the dataset tests: a scratch folder and writers for the files datasets
// read (.npy, IDX, PNG/JPEG, label lists), all made in the test from known values so every
// expected number is computed here, not by the code under test.
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fixtures/temp_dir.hpp"
#include "data/image_io.hpp"
#include "data/npy.hpp"
#include "octet/data.hpp"

namespace octet::testing {

class DataTest : public ::testing::Test {
 protected:

  std::string path(const std::string& name) const {
    const std::filesystem::path p = std::filesystem::path(dir_) / name;
    std::filesystem::create_directories(p.parent_path());
    return p.string();
  }

  static void write_bytes(const std::string& file, const std::string& bytes) {
    std::ofstream(file, std::ios::binary) << bytes;
  }
  static std::string read_bytes(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  // An IDX file of unsigned bytes with the given dims.
  std::string write_idx_u8(const std::string& name, const std::vector<uint32_t>& dims, const std::vector<uint8_t>& values) {
    std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
    for (uint32_t d : dims)
      for (int s = 24; s >= 0; s -= 8) bytes += static_cast<char>((d >> s) & 0xff);
    bytes.append(values.begin(), values.end());
    const std::string file = path(name);
    write_bytes(file, bytes);
    return file;
  }

  // An RGB (or gray) image file; pixels row-major HxWxC.
  std::string write_image(const std::string& name, int h, int w, int c, const std::vector<uint8_t>& pixels) {
    const std::string ext = std::filesystem::path(name).extension().string();
    const std::string file = path(name);
    write_bytes(file, data::encode_image(pixels.data(), h, w, c, ext));
    return file;
  }

  ScopedTempDir scratch_{"octet-data"};
  const std::string& dir_ = scratch_.str();
};

// Asserts that `f` throws octet::Error (or a subclass) whose message contains every piece.
template <class F>
void expect_error(F f, const std::vector<std::string>& pieces) {
  try {
    f();
    ADD_FAILURE() << "no error thrown; expected one mentioning " << pieces.at(0);
  } catch (const Error& e) {
    const std::string what = e.what();
    for (const std::string& p : pieces) EXPECT_NE(what.find(p), std::string::npos) << "'" << p << "' not in: " << what;
  }
}

}  // namespace octet::testing
