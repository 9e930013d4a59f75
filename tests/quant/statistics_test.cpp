// Streamed statistics: the histogram's exact range doubling, per-tensor observers, and the
// statistics file round trip and its refusals.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "quant/statistics/stats_file.hpp"
#include "quant/statistics/tensor_stats.hpp"
#include "quant_test_util.hpp"

namespace octet::quant {
namespace {

using testing::random_tensor;

TEST(Histogram, DoublingKeepsEveryCountInTheRightBin) {
  // Adding small values first and a large one later must give the same histogram as adding
  // them all at once (the range doubles by merging bin pairs exactly).
  const Tensor small = random_tensor({1000}, 1, -0.3f, 0.3f);
  const Tensor big = random_tensor({1000}, 2, -5.0f, 5.0f);
  Histogram streamed(256);
  streamed.add(small.data<float>(), 1000);
  streamed.add(big.data<float>(), 1000);
  std::vector<float> all(small.data<float>(), small.data<float>() + 1000);
  all.insert(all.end(), big.data<float>(), big.data<float>() + 1000);
  Histogram at_once(256);
  at_once.add(all.data(), all.size());
  ASSERT_EQ(streamed.range(), at_once.range());
  EXPECT_EQ(streamed.counts(), at_once.counts());
  EXPECT_EQ(streamed.total(), 2000);
  Histogram merged(256), other(256);
  merged.add(small.data<float>(), 1000);
  other.add(big.data<float>(), 1000);
  merged.merge(other);
  EXPECT_EQ(merged.counts(), at_once.counts());
}

TEST(Histogram, QuantileIsWithinOneBinOfTheExactOne) {
  const Tensor x = random_tensor({20000}, 3, -2.0f, 6.0f);
  Histogram h(2048);
  h.add(x.data<float>(), 20000);
  std::vector<float> copy(x.data<float>(), x.data<float>() + 20000);
  for (double q : {0.01, 0.5, 0.99}) {
    std::vector<float> c = copy;
    EXPECT_NEAR(h.quantile(q), quantile_in_place(c, q), h.bin_width()) << q;
  }
}

TEST(Histogram, AllZeroTensorThenData) {
  Histogram h(64);
  const std::vector<float> zeros(100, 0.0f);
  h.add(zeros.data(), zeros.size());
  EXPECT_EQ(h.range(), 0.0f);
  const std::vector<float> data = {1.0f, -0.5f};
  h.add(data.data(), data.size());
  EXPECT_EQ(h.total(), 102);
  EXPECT_GT(h.range(), 1.0f);
}

TEST(TensorStats, PerSampleAndPerChannelFigures) {
  StatNeeds needs;
  needs.min_max = true;
  needs.quantiles = {0.5};
  needs.channel_axis = 1;
  needs.mean_map = true;
  TensorStats s("x", needs);
  // Two samples [1, 2, 2]: channel 0 = {1, 3} then {-1, 5}; channel 1 = {0, 2} then {4, 4}.
  s.observe(testing::tensor_from({1, 2, 2}, {1, 3, 0, 2}));
  s.observe(testing::tensor_from({1, 2, 2}, {-1, 5, 4, 4}));
  EXPECT_EQ(s.samples, 2u);
  EXPECT_EQ(s.min, -1);
  EXPECT_EQ(s.max, 5);
  EXPECT_EQ(s.sample_min, (std::vector<float>{0, -1}));
  EXPECT_EQ(s.sample_max, (std::vector<float>{3, 5}));
  EXPECT_EQ(s.sample_absmax, (std::vector<float>{3, 5}));
  EXPECT_EQ(s.sample_quantile.at(0.5), (std::vector<float>{1.5f, 4.0f}));
  EXPECT_EQ(s.channel_min, (std::vector<float>{-1, 0}));
  EXPECT_EQ(s.channel_max, (std::vector<float>{5, 4}));
  EXPECT_EQ(s.mean_map(), (std::vector<float>{0, 4, 2, 3}));
  EXPECT_EQ(s.channel_mean(1), (std::vector<float>{2, 2.5f}));
  EXPECT_THROW(s.observe(testing::tensor_from({1, 4}, {1, 2, 3, 4})), Error);  // shape changed
}

TEST(TensorStats, CountsNonFiniteSamplesApartFromTheStatistics) {
  // A sample with NaN or Inf is counted (the layers reading the tensor then stay FP32) and
  // kept out of every statistic, which the finite samples alone determine.
  StatNeeds needs;
  needs.min_max = true;
  TensorStats s("x", needs);
  s.observe(testing::tensor_from({2}, {5.0f, 0.5f}));
  s.observe(testing::tensor_from({2}, {1.0f, NAN}));
  s.observe(testing::tensor_from({2}, {-INFINITY, 0.0f}));
  s.observe(testing::tensor_from({2}, {-1.0f, 2.0f}));
  EXPECT_EQ(s.nonfinite_samples, 2u);
  EXPECT_EQ(s.first_nonfinite, 1u);
  EXPECT_EQ(s.samples, 2u);
  EXPECT_EQ(s.min, -1.0f);
  EXPECT_EQ(s.max, 5.0f);
}

class StatsFile : public ::testing::Test {
 protected:
  void SetUp() override { path_ = ::testing::TempDir() + "octet_stats_" + std::to_string(getpid()) + ".bin"; }
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_;
};

TEST_F(StatsFile, RoundTripsAndRefusesOtherModelsOrMissingStatistics) {
  StatNeeds needs;
  needs.min_max = true;
  needs.abs_quantiles = {0.9999};
  needs.histogram_bins = 128;
  needs.channel_axis = 1;
  needs.mean_map = true;
  StatsMap stats;
  stats.emplace("a", TensorStats("a", needs));
  for (uint32_t i = 0; i < 5; ++i) stats.at("a").observe(random_tensor({1, 3, 4}, 10 + i, -2, 3));
  const StatsFileKey key{123, 456};
  write_stats_file(path_, key, stats);

  StatisticsRequest request;
  request.add("a", needs);
  StatsMap back;
  std::string why;
  ASSERT_TRUE(read_stats_file(path_, key, request, back, why)) << why;
  const TensorStats& s = back.at("a");
  const TensorStats& o = stats.at("a");
  EXPECT_EQ(s.samples, o.samples);
  EXPECT_EQ(s.shape, o.shape);
  EXPECT_EQ(s.sample_absmax, o.sample_absmax);
  EXPECT_EQ(s.sample_abs_quantile, o.sample_abs_quantile);
  EXPECT_EQ(s.histogram.counts(), o.histogram.counts());
  EXPECT_EQ(s.histogram.range(), o.histogram.range());
  EXPECT_EQ(s.channel_max, o.channel_max);
  EXPECT_EQ(s.mean_map(), o.mean_map());

  EXPECT_FALSE(read_stats_file(path_, {999, 456}, request, back, why));
  EXPECT_NE(why.find("another model"), std::string::npos) << why;
  EXPECT_FALSE(read_stats_file(path_, {123, 999}, request, back, why));
  EXPECT_NE(why.find("other calibration data"), std::string::npos) << why;
  StatisticsRequest more = request;
  more.add("b", needs);
  EXPECT_FALSE(read_stats_file(path_, key, more, back, why));
  EXPECT_NE(why.find("'b'"), std::string::npos) << why;
  StatNeeds other = needs;
  other.quantiles = {0.001};
  StatisticsRequest other_request;
  other_request.add("a", other);
  EXPECT_FALSE(read_stats_file(path_, key, other_request, back, why));
}

TEST_F(StatsFile, DamagedFileIsAnErrorNamingIt) {
  StatNeeds needs;
  needs.min_max = true;
  StatsMap stats;
  stats.emplace("a", TensorStats("a", needs));
  stats.at("a").observe(random_tensor({8}, 1));
  write_stats_file(path_, {1, 2}, stats);
  std::filesystem::resize_file(path_, std::filesystem::file_size(path_) - 3);
  StatisticsRequest request;
  request.add("a", needs);
  StatsMap back;
  std::string why;
  try {
    read_stats_file(path_, {1, 2}, request, back, why);
    FAIL() << "a truncated file was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path_), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace octet::quant
