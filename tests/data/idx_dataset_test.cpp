// IDX datasets: the built-in Fashion-MNIST name (Debian's dataset-fashion-mnist), plain IDX
// files written here, big-endian multi-byte arrays, and truncated or mismatched files.
#include <zlib.h>

#include "data/data_fixture.hpp"

namespace octet::testing {
namespace {

using IdxDataset = DataTest;

constexpr const char* kTestImages = "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";

// The test split's raw pixels, inflated and parsed here independently of octet's reader.
std::string raw_test_images() {
  gzFile f = gzopen(kTestImages, "rb");
  std::string out;
  char buf[1 << 16];
  int n;
  while (f && (n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  if (f) gzclose(f);
  return out;
}

TEST_F(IdxDataset, FashionMnistTestSplitIsTheDefault) {
  auto data = open_dataset("fashion-mnist");
  ASSERT_EQ(data->size(), 10000u);
  EXPECT_TRUE(data->has_labels());
  EXPECT_NE(data->describe().find("fashion-mnist:test"), std::string::npos);
  // The first labels of the published test split, and its 1,000 images per class.
  const std::vector<int64_t> first = {9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(data->sample(i).labels, std::vector<int64_t>{first[i]}) << i;
  std::vector<int> per_class(10, 0);
  for (size_t i = 0; i < data->size(); i += 1) per_class.at(static_cast<size_t>(data->sample(i).labels[0]))++;
  EXPECT_EQ(per_class, std::vector<int>(10, 1000));
}

TEST_F(IdxDataset, FashionMnistPixelsAreScaledTo01ByDefault) {
  const std::string raw = raw_test_images();
  ASSERT_EQ(raw.size(), 16u + 10000u * 784u);
  auto data = open_dataset("fashion-mnist:test");
  for (size_t i : {size_t{0}, size_t{1}, size_t{9999}}) {
    const Sample s = data->sample(i);
    ASSERT_EQ(s.inputs[0].shape, (Shape{1, 1, 28, 28}));
    for (size_t p = 0; p < 784; ++p)
      ASSERT_EQ(s.inputs[0].data<float>()[p], static_cast<float>(static_cast<uint8_t>(raw[16 + i * 784 + p])) * (1.0f / 255.0f))
          << "image " << i << " pixel " << p;
  }
}

TEST_F(IdxDataset, FashionMnistAppliesTheGivenNormalization) {
  const std::string raw = raw_test_images();
  Preprocess p;
  p.scale = 1.0f / 255.0f;
  p.mean = {0.25f};
  p.std = {0.5f};
  auto data = open_dataset("fashion-mnist", "", p);
  const Sample s = data->sample(1);
  for (size_t k = 0; k < 784; ++k) {
    const float v = static_cast<float>(static_cast<uint8_t>(raw[16 + 784 + k])) * (1.0f / 255.0f);
    ASSERT_EQ(s.inputs[0].data<float>()[k], (v - 0.25f) / 0.5f) << k;
  }
}

TEST_F(IdxDataset, FashionMnistTrainSplit) {
  auto data = open_dataset("fashion-mnist:train");
  ASSERT_EQ(data->size(), 60000u);
  EXPECT_EQ(data->sample(0).labels, std::vector<int64_t>{9});
  EXPECT_EQ(data->sample(3).labels, std::vector<int64_t>{3});
  expect_error([] { open_dataset("fashion-mnist:validation"); }, {"validation", "train", "test"});
}

TEST_F(IdxDataset, ReadsPlainIdxImagesAndLabels) {
  std::vector<uint8_t> pixels(3 * 2 * 4);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 10);
  const std::string images = write_idx_u8("images-idx3-ubyte", {3, 2, 4}, pixels);
  const std::string labels = write_idx_u8("labels-idx1-ubyte", {3}, {5, 6, 7});
  auto data = open_dataset(images, labels);  // no preprocessing: raw 0..255 values
  ASSERT_EQ(data->size(), 3u);
  const Sample s = data->sample(2);
  ASSERT_EQ(s.inputs[0].shape, (Shape{1, 1, 2, 4}));
  for (int k = 0; k < 8; ++k) EXPECT_EQ(s.inputs[0].data<float>()[k], static_cast<float>((16 + k) * 10));
  EXPECT_EQ(s.labels, std::vector<int64_t>{7});
}

TEST_F(IdxDataset, SwapsBigEndianInt32Arrays) {
  // Type 0x0C (int32), dims [2,2]: values 1, 256, -2, 70000 stored big-endian; fed as is.
  std::string bytes = {0, 0, 0x0C, 2, 0, 0, 0, 2, 0, 0, 0, 2};
  for (int32_t v : {1, 256, -2, 70000})
    for (int s = 24; s >= 0; s -= 8) bytes += static_cast<char>((static_cast<uint32_t>(v) >> s) & 0xff);
  const std::string file = path("ints-idx2");
  write_bytes(file, bytes);
  auto data = open_dataset(file);
  const Sample s = data->sample(1);
  ASSERT_EQ(s.inputs[0].dtype, DType::kInt32);
  ASSERT_EQ(s.inputs[0].shape, (Shape{1, 2}));
  EXPECT_EQ(s.inputs[0].data<int32_t>()[0], -2);
  EXPECT_EQ(s.inputs[0].data<int32_t>()[1], 70000);
}

TEST_F(IdxDataset, RefusesTruncatedAndMismatchedFiles) {
  const std::string truncated = write_idx_u8("short-idx3-ubyte", {3, 2, 2}, std::vector<uint8_t>(10, 1));
  expect_error([&] { open_dataset(truncated); }, {"short-idx3-ubyte", "truncated"});
  const std::string images = write_idx_u8("images-idx3-ubyte", {3, 2, 2}, std::vector<uint8_t>(12, 1));
  const std::string labels = write_idx_u8("labels-idx1-ubyte", {4}, {1, 2, 3, 4});
  expect_error([&] { open_dataset(images, labels); }, {"labels-idx1-ubyte", "4 labels", "3 images"});
  const std::string junk = path("junk.bin");
  write_bytes(junk, "this is not a dataset");
  expect_error([&] { open_dataset(junk); }, {"junk.bin", "not a dataset"});
  // A gzip stream cut in half.
  const std::string gz = read_bytes(kTestImages);
  const std::string cut = path("cut-idx3-ubyte.gz");
  write_bytes(cut, gz.substr(0, gz.size() / 2));
  expect_error([&] { open_dataset(cut); }, {"cut-idx3-ubyte.gz"});
}

}  // namespace
}  // namespace octet::testing
