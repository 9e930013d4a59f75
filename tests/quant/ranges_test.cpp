// Range estimators: statistic x aggregator arithmetic against values computed by hand, preset
// resolution, and the histogram searches on distributions whose answer is known.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "quant/ranges/range_estimator.hpp"
#include "quant/transforms/qparams.hpp"
#include "quant_test_util.hpp"

namespace octet::quant {
namespace {

TensorStats observed(const std::vector<std::vector<float>>& samples, const StatNeeds& needs) {
  TensorStats s("t", needs);
  for (const auto& v : samples) s.observe(testing::tensor_from({static_cast<int64_t>(v.size())}, v));
  return s;
}

TEST(Aggregate, ComputesEachAggregator) {
  const std::vector<float> v = {4, 1, 3, 2, 100};
  EXPECT_EQ(aggregate(v, "min", 1e-4), 1);
  EXPECT_EQ(aggregate(v, "max", 1e-4), 100);
  EXPECT_FLOAT_EQ(aggregate(v, "mean", 1e-4), 22);
  EXPECT_EQ(aggregate(v, "median", 1e-4), 3);
  // With a 20% tail, the outlier 100 (and the 1) fall outside [q0.2, q0.8] = [1.8, 23.2].
  EXPECT_FLOAT_EQ(aggregate(v, "mean_no_outliers", 0.2), 3);
  EXPECT_THROW(aggregate(v, "average", 1e-4), Error);
}

TEST(RangeEstimator, DefaultIsMinOfMinimaAndMeanOfAbsoluteMaxima) {
  const RangeEstimatorOptions sym = resolve_estimator({}, true, "test");
  const TensorStats s = observed({{-1, 2}, {-3, 1}, {0.5, 6}}, estimator_needs(sym));
  // Symmetric: |max| per sample = 2, 3, 6 -> mean 11/3; signed because some sample is negative.
  const Range r = estimate_range(s, sym, true);
  EXPECT_FLOAT_EQ(r.hi, 11.0f / 3);
  EXPECT_FLOAT_EQ(r.lo, -11.0f / 3);
  // Asymmetric (mixed): min of minima -3, mean of maxima 3.
  const RangeEstimatorOptions asym = resolve_estimator({}, false, "test");
  const Range a = estimate_range(observed({{-1, 2}, {-3, 1}, {0.5, 6}}, estimator_needs(asym)), asym, false);
  EXPECT_FLOAT_EQ(a.lo, -3);
  EXPECT_FLOAT_EQ(a.hi, 3);
}

TEST(RangeEstimator, PresetsAndCustomBounds) {
  RangeEstimatorOptions o;
  o.method = "min_max";
  auto r = resolve_estimator(o, false, "t");
  EXPECT_EQ(estimate_range(observed({{-1, 2}, {-3, 1}}, estimator_needs(r)), r, false).hi, 2);
  o.method = "mean_min_max";
  r = resolve_estimator(o, false, "t");
  const Range mm = estimate_range(observed({{-1, 2}, {-3, 1}}, estimator_needs(r)), r, false);
  EXPECT_FLOAT_EQ(mm.lo, -2);
  EXPECT_FLOAT_EQ(mm.hi, 1.5f);
  o.method = "custom";
  o.min = {"quantile", "median", 0.25};
  o.max = {"max", "max", 1e-4};
  r = resolve_estimator(o, false, "t");
  // Per-sample 0.25-quantile of {0,1,2,3,4} is 1 and of {10,...,14} is 11: median 6.
  const Range c = estimate_range(observed({{0, 1, 2, 3, 4}, {10, 11, 12, 13, 14}}, estimator_needs(r)), r, false);
  EXPECT_FLOAT_EQ(c.lo, 0);  // a range always holds zero
  EXPECT_FLOAT_EQ(c.hi, 14);
  o.min = {"abs_max", "min", 1e-4};
  EXPECT_THROW(resolve_estimator(o, false, "t"), Error);
  o.method = "bogus";
  try {
    resolve_estimator(o, false, "activations range estimator");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos);
  }
}

TEST(RangeEstimator, NonNegativeTensorsStayUnsigned) {
  const RangeEstimatorOptions sym = resolve_estimator({}, true, "t");
  const Range r = estimate_range(observed({{0, 2}, {0, 4}}, estimator_needs(sym)), sym, true);
  EXPECT_EQ(r.lo, 0);
  EXPECT_FLOAT_EQ(r.hi, 3);
  const QParams p = activation_qparams(r, QuantPreset::kPerformance);
  EXPECT_EQ(p.dtype, DType::kUInt8);
  EXPECT_EQ(p.zero_point[0], 0);
  EXPECT_FLOAT_EQ(p.scale[0], 3.0f / 255);
}

// Exact squared error of symmetric int8 quantization of x at threshold t.
double exact_mse(const std::vector<float>& x, float t) {
  QParams p;
  p.dtype = DType::kInt8;
  p.scale = {t / 127};
  p.zero_point = {0};
  double e = 0;
  for (float v : x) e += std::pow(static_cast<double>(v) - fake_quantize(v, p), 2);
  return e;
}

TEST(HistogramSearch, MseThresholdIsNearTheTrueOptimum) {
  // Gaussian data with a heavy tail: the histogram search must land within 3% of the exact
  // MSE of the best threshold on a fine grid, computed on the raw values.
  std::mt19937 rng(7);
  std::normal_distribution<float> n(0, 1);
  std::vector<float> x(50000);
  for (float& v : x) v = n(rng);
  for (int i = 0; i < 50; ++i) x.push_back(i % 2 ? 12.0f + i * 0.1f : -12.0f - i * 0.1f);
  Histogram h(2048);
  h.add(x.data(), x.size());
  const float t = mse_symmetric_threshold(h, false);
  double best = INFINITY;
  float absmax = 0;
  for (float v : x) absmax = std::max(absmax, std::fabs(v));
  for (int k = 1; k <= 400; ++k) best = std::min(best, exact_mse(x, absmax * k / 400));
  EXPECT_LE(exact_mse(x, t), best * 1.03) << "threshold " << t;
  EXPECT_LT(exact_mse(x, t), exact_mse(x, absmax));  // clipping the tail pays here
  // Uniform data has nothing to clip: the threshold is the maximum.
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> y(100000);
  for (float& v : y) v = u(rng);
  Histogram dense(2048);
  dense.add(y.data(), y.size());
  EXPECT_NEAR(mse_symmetric_threshold(dense, false), 1.0f, 0.02f);
  const Range a = mse_asymmetric_range(h, -17.0f, 17.0f);
  EXPECT_LT(a.hi, 17.0f);
  EXPECT_GT(a.lo, -17.0f);
}

TEST(HistogramSearch, KlClipsABellCurveTail) {
  std::mt19937 rng(8);
  std::normal_distribution<float> n(0, 1);
  std::vector<float> x(100000);
  for (float& v : x) v = n(rng);
  x.push_back(40.0f);
  Histogram h(2048);
  h.add(x.data(), x.size());
  const float t = kl_threshold(h, false);
  EXPECT_GT(t, 2.0f);
  EXPECT_LT(t, 20.0f);
}

TEST(QParams, PresetsGiveTheDocumentedTypes) {
  const Range signed_range{-2, 4};
  const QParams perf = activation_qparams(signed_range, QuantPreset::kPerformance);
  EXPECT_EQ(perf.dtype, DType::kInt8);
  EXPECT_EQ(perf.zero_point[0], 0);
  EXPECT_FLOAT_EQ(perf.scale[0], 4.0f / 127);
  const QParams mixed = activation_qparams(signed_range, QuantPreset::kMixed);
  EXPECT_EQ(mixed.dtype, DType::kUInt8);
  EXPECT_FLOAT_EQ(mixed.scale[0], 6.0f / 255);
  EXPECT_EQ(mixed.zero_point[0], 85);  // round(2 / (6/255))
  // Zero is exact; the ends are within half a step.
  EXPECT_EQ(fake_quantize(0.0f, mixed), 0.0f);
  EXPECT_NEAR(fake_quantize(-2.0f, mixed), -2.0f, mixed.scale[0] / 2);
  EXPECT_NEAR(fake_quantize(4.0f, mixed), 4.0f, mixed.scale[0] / 2);
  EXPECT_NEAR(fake_quantize(9.0f, perf), 4.0f, 1e-6);  // saturates
  const QParams zero = activation_qparams({0, 0}, QuantPreset::kPerformance);
  EXPECT_GT(zero.scale[0], 0.0f);
}

}  // namespace
}  // namespace octet::quant
