// Data files whose headers declare absurd sizes: .npy, IDX (plain and gzip, including a gzip
// bomb) and images. Each is refused naming the file, from the header alone: nothing of the
// declared size is allocated, inflated or decoded.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "data/datasets.hpp"
#include "data/idx.hpp"
#include "data/image_header.hpp"
#include "data/image_io.hpp"
#include "data/labels.hpp"
#include "data/npy.hpp"
#include "fixtures/temp_dir.hpp"
#include "hostile/hostile_util.hpp"

namespace octet::testing {
namespace {

class HostileData : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string file = dir_.path(name);
    std::filesystem::create_directories(std::filesystem::path(file).parent_path());
    std::ofstream(file, std::ios::binary) << bytes;
    return file;
  }
  // A version 1.0 .npy with the given header dict and data bytes.
  static std::string npy(const std::string& dict, const std::string& data) {
    std::string header = dict;
    while ((10 + header.size() + 1) % 64) header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY\x01";
    out += '\0';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    return out + header + data;
  }
  static std::string idx_header(uint8_t type, const std::vector<uint32_t>& dims) {
    std::string b = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
    for (uint32_t d : dims)
      for (int s = 24; s >= 0; s -= 8) b += static_cast<char>((d >> s) & 0xff);
    return b;
  }
  std::string write_gz(const std::string& name, const std::string& bytes) {
    const std::string file = dir_.path(name);
    gzFile f = gzopen(file.c_str(), "wb9");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
    return file;
  }
  ScopedTempDir dir_{"octet-hostile-data"};
};

TEST_F(HostileData, NpyHeaderClaimingTenToTheTwelveElements) {
  const std::string file =
      write("huge.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", std::string(16, '\0')));
  expect_error([&] { data::read_npy(file); }, {file, "[1000000,1000000]", "16 bytes"});
  expect_error([&] { data::make_npy_dataset({{"", file}}, ""); }, {file, "[1000000,1000000]"});
  expect_error([&] { data::read_labels(file); }, {file, "[1000000,1000000]"});
  // A shape whose byte count overflows 64 bits must not wrap into agreement with the file.
  const std::string wrap = write(
      "wrap.npy", npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", ""));
  expect_error([&] { data::read_npy(wrap); }, {wrap, "0 bytes of data"});
  // A version 2.0 header whose 4-byte length claims 4 GB in a 20-byte file.
  const std::string v2 = write("v2.npy", std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12) + "{'descr': ");
  expect_error([&] { data::read_npy(v2); }, {v2, "truncated .npy header"});
}

TEST_F(HostileData, NpyDtypesThatAreNotNumbersOrNotLittleEndian) {
  for (const std::string& descr : {"'>f4'", "'<c8'", "'|O'", "'<U4'"}) {
    const std::string file = write("odd.npy", npy("{'descr': " + descr + ", 'fortran_order': False, 'shape': (1,), }",
                                                  std::string(8, '\0')));
    expect_error([&] { data::read_npy(file); }, {file, "not supported"});
  }
}

TEST_F(HostileData, IdxHeaderClaimingTenToTheTwelveBytes) {
  const std::string file = write("huge-idx3-ubyte", idx_header(0x08, {kMillion, kMillion}) + std::string(16, '\0'));
  expect_error([&] { data::IdxArray::open(file); }, {file, "[1000000,1000000]"});
  // Ten dims of 2^31: the product overflows 64 bits; the limit check names it.
  std::vector<uint32_t> dims(10, 0x80000000u);
  const std::string wrap = write("wrap-idx", idx_header(0x0D, dims));
  expect_error([&] { data::IdxArray::open(wrap); }, {wrap, "more than 2^63 bytes"});
}

TEST_F(HostileData, GzipIdxIsBoundedByItsHeaderBeforeInflating) {
  // The header claims 10^9 bytes (under the tensor limit) in a 100-byte gzip file: deflate
  // cannot expand that far, so it is refused before inflating.
  const std::string claim = write_gz("claim-idx3-ubyte.gz", idx_header(0x08, {1000, kMillion}) + std::string(64, '\1'));
  expect_error([&] { data::IdxArray::open(claim); }, {claim, "more than a gzip file of", "can hold"});
  // A gzip bomb: the header says 10 bytes, the stream inflates to 16 MB. Inflating stops
  // one buffer past the declared size and says so.
  const std::string bomb = write_gz("bomb-idx1-ubyte.gz", idx_header(0x08, {10}) + std::string(16 << 20, '\0'));
  ASSERT_LT(std::filesystem::file_size(bomb), 100000u);
  expect_error([&] { data::IdxArray::open(bomb); }, {bomb, "inflates to more than its IDX header says ([10]"});
}

// A real PNG, then its IHDR dims patched (CRC fixed) so only the header lies.
std::string png_claiming(uint32_t width, uint32_t height) {
  std::vector<uint8_t> pixels(4 * 4 * 3, 128);
  std::string png = data::encode_image(pixels.data(), 4, 4, 3, ".png");
  for (int i = 0; i < 4; ++i) {
    png[16 + i] = static_cast<char>((width >> (24 - 8 * i)) & 0xff);
    png[20 + i] = static_cast<char>((height >> (24 - 8 * i)) & 0xff);
  }
  const uLong crc = crc32(0, reinterpret_cast<const Bytef*>(png.data() + 12), 17);
  for (int i = 0; i < 4; ++i) png[29 + i] = static_cast<char>((crc >> (24 - 8 * i)) & 0xff);
  return png;
}

TEST_F(HostileData, ImagesWhoseHeaderClaimsHugeDimensions) {
  // 30000 x 30000 is under OpenCV's own limit (2^30 pixels): without octet's check it would
  // allocate 2.7 GB before finding the data missing.
  write("imgs/big.png", png_claiming(30000, 30000));
  std::vector<uint8_t> pixels(8 * 8 * 3, 7);
  std::string jpeg = data::encode_image(pixels.data(), 8, 8, 3, ".jpg");
  // Patch the SOF0 frame size (height, width at marker + 5, + 7).
  const size_t sof = jpeg.find("\xff\xc0");
  ASSERT_NE(sof, std::string::npos);
  for (size_t k : {sof + 5, sof + 7}) { jpeg[k] = static_cast<char>(0xEA); jpeg[k + 1] = 0x60; }  // 60000
  write("imgs/big.jpg", jpeg);
  std::string bmp = data::encode_image(pixels.data(), 8, 8, 3, ".bmp");
  for (size_t k : {size_t{18}, size_t{22}}) { bmp[k] = 0x50; bmp[k + 1] = static_cast<char>(0xC3); bmp[k + 2] = 0; bmp[k + 3] = 0; }  // 50000
  write("imgs/big.bmp", bmp);
  write("imgs/ok.png", data::encode_image(pixels.data(), 8, 8, 3, ".png"));

  auto ds = data::make_folder_dataset(dir_.path("imgs"), "", Preprocess{});
  ASSERT_EQ(ds->size(), 4u);
  for (size_t i = 0; i < ds->size(); ++i) {
    const std::string name = ds->sample_name(i);
    if (name.find("ok.png") != std::string::npos) {
      EXPECT_NO_THROW(ds->sample(i));
      continue;
    }
    try {
      ds->sample(i);
      ADD_FAILURE() << name << ": no error";
    } catch (const BadSampleError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(name), std::string::npos) << what;
      EXPECT_NE(what.find("limit"), std::string::npos) << what;
    }
  }
  EXPECT_EQ(data::peek_image_size(dir_.path("imgs/big.jpg"))->width, 60000);
  EXPECT_EQ(data::peek_image_size(dir_.path("imgs/ok.png"))->height, 8);
}

}  // namespace
}  // namespace octet::testing
