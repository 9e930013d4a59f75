// Seeded subsets (the calibration and evaluation sample choice), batch stacking and the
// .npy export of a dataset.
#include <set>

#include "data/data_fixture.hpp"

namespace octet::testing {
namespace {

using Batching = DataTest;

TEST(SampleIndices, AreASortedSeededSubset) {
  const std::vector<size_t> a = sample_indices(1000, 50, 7);
  ASSERT_EQ(a.size(), 50u);
  EXPECT_TRUE(std::is_sorted(a.begin(), a.end()));
  EXPECT_EQ(std::set<size_t>(a.begin(), a.end()).size(), 50u);
  for (size_t i : a) EXPECT_LT(i, 1000u);
  EXPECT_EQ(sample_indices(1000, 50, 7), a);      // same seed, same set
  EXPECT_NE(sample_indices(1000, 50, 8), a);      // another seed, another set
  EXPECT_EQ(sample_indices(5, 0, 3), (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(sample_indices(5, 9, 3), (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_TRUE(sample_indices(0, 4, 1).empty());
}

TEST(SampleIndices, CoverEveryIndexEvenly) {
  // Over 2,000 seeds, each of 20 indices is picked ~ 2000 * 5 / 20 = 500 times; a biased
  // shuffle (e.g. modulo bias or a skipped last slot) shows up far outside +-20%.
  std::vector<int> counts(20, 0);
  for (uint64_t seed = 0; seed < 2000; ++seed)
    for (size_t i : sample_indices(20, 5, seed)) counts[i]++;
  for (size_t i = 0; i < counts.size(); ++i) {
    EXPECT_GT(counts[i], 400) << i;
    EXPECT_LT(counts[i], 600) << i;
  }
}

TEST_F(Batching, StacksSamplesAndWritesThemAsNpy) {
  const std::string x = path("x.npy"), y = path("y.npy");
  std::vector<float> values(6 * 4);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i);
  data::write_npy(x, Tensor::from_vector(DType::kFloat32, {6, 2, 2}, values));
  data::write_npy(y, Tensor::from_vector(DType::kInt64, {6}, std::vector<int64_t>{10, 11, 12, 13, 14, 15}));
  auto data = open_dataset(x, y);
  const Sample b = load_batch(*data, {1, 4, 5});
  ASSERT_EQ(b.inputs.size(), 1u);
  ASSERT_EQ(b.inputs[0].shape, (Shape{3, 2, 2}));
  EXPECT_EQ(b.inputs[0].data<float>()[0], 4.0f);
  EXPECT_EQ(b.inputs[0].data<float>()[4], 16.0f);
  EXPECT_EQ(b.inputs[0].data<float>()[11], 23.0f);
  EXPECT_EQ(b.labels, (std::vector<int64_t>{11, 14, 15}));

  write_dataset_npy(*data, {0, 5}, path("out/x.npy"), path("out/y.npy"));
  const Tensor xs = data::read_npy(path("out/x.npy")), ys = data::read_npy(path("out/y.npy"));
  ASSERT_EQ(xs.shape, (Shape{2, 2, 2}));
  EXPECT_EQ(xs.data<float>()[4], 20.0f);
  ASSERT_EQ(ys.dtype, DType::kInt64);
  EXPECT_EQ(ys.data<int64_t>()[1], 15);
}

TEST_F(Batching, RefusesSamplesOfDifferentSizes) {
  write_image("imgs/a.png", 2, 2, 3, std::vector<uint8_t>(12, 1));
  write_image("imgs/b.png", 3, 2, 3, std::vector<uint8_t>(18, 1));
  auto data = open_dataset(path("imgs"));
  expect_error([&] { load_batch(*data, {0, 1}); }, {"b.png", "[1,3,3,2]", "a.png", "[1,3,2,2]", "resize"});
}

}  // namespace
}  // namespace octet::testing
