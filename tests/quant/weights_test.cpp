// Weight and bias quantization error bounds, and the saturation analysis on weights built so
// that the answer is known.
#include <gtest/gtest.h>

#include <cmath>

#include "quant/transforms/qparams.hpp"
#include "quant/transforms/saturation.hpp"
#include "quant_test_util.hpp"

namespace octet::quant {
namespace {

TEST(QuantizeWeights, PerChannelRoundTripWithinHalfAStep) {
  // Channels with very different ranges, as after BatchNorm folding.
  Tensor w = testing::random_tensor({4, 3, 3, 3}, 11);
  for (int64_t i = 0; i < 27; ++i) w.data<float>()[27 + i] *= 100.0f;   // channel 1: large
  for (int64_t i = 0; i < 27; ++i) w.data<float>()[54 + i] *= 0.001f;   // channel 2: tiny
  for (int64_t i = 0; i < 27; ++i) w.data<float>()[81 + i] = 0.0f;      // channel 3: zero
  const QuantizedWeights q = quantize_weights(w, 0, {127, 127, 63, 127}, "max");
  const Tensor back = dequantize_weights(q);
  for (int64_t c = 0; c < 4; ++c) {
    float absmax = 0;
    int8_t qmax = 0;
    for (int64_t i = 0; i < 27; ++i) {
      const int64_t k = c * 27 + i;
      absmax = std::max(absmax, std::fabs(w.data<float>()[k]));
      qmax = std::max<int8_t>(qmax, static_cast<int8_t>(std::abs(q.q.data<int8_t>()[k])));
      EXPECT_LE(std::fabs(back.data<float>()[k] - w.data<float>()[k]), q.scale[c] / 2 * 1.0001f) << c << " " << i;
    }
    const int levels = c == 2 ? 63 : 127;
    EXPECT_LE(qmax, levels);
    if (absmax > 0) {
      EXPECT_EQ(qmax, levels) << "the channel maximum maps to the top level";
      EXPECT_FLOAT_EQ(q.scale[c], absmax / static_cast<float>(levels));
    } else {
      EXPECT_GT(q.scale[c], 0.0f);
    }
  }
}

TEST(QuantizeWeights, MatMulWeightsUseAxisOneAndMseNeverDoesWorse) {
  Tensor w = testing::random_tensor({16, 5}, 12);
  w.data<float>()[7] = 9.0f;  // an outlier in column 2
  const QuantizedWeights by_max = quantize_weights(w, 1, std::vector<int8_t>(5, 127), "max");
  const QuantizedWeights by_mse = quantize_weights(w, 1, std::vector<int8_t>(5, 127), "mse");
  ASSERT_EQ(by_max.scale.size(), 5u);
  EXPECT_FLOAT_EQ(by_max.scale[2], 9.0f / 127);
  auto sq_error = [&](const QuantizedWeights& q) {
    const Tensor back = dequantize_weights(q);
    double e = 0;
    for (int64_t i = 0; i < w.numel(); ++i) e += std::pow(back.data<float>()[i] - w.data<float>()[i], 2);
    return e;
  };
  EXPECT_LE(sq_error(by_mse), sq_error(by_max));
  EXPECT_THROW(quantize_weights(w, 1, std::vector<int8_t>(5, 127), "median"), Error);
}

TEST(QuantizeBias, Int32AtInputTimesWeightScale) {
  Tensor w = testing::random_tensor({3, 2}, 13);
  QuantizedWeights q = quantize_weights(w, 0, std::vector<int8_t>(3, 127), "max");
  const Tensor b = testing::tensor_from({3}, {0.5f, -1.25f, 3.0f});
  const float scale_x = 0.02f;
  const QuantizedBias qb = quantize_bias(b, scale_x, q, w);
  for (int c = 0; c < 3; ++c) {
    EXPECT_FLOAT_EQ(qb.scale[c], scale_x * q.scale[c]);
    EXPECT_LE(std::fabs(qb.q.data<int32_t>()[c] * qb.scale[c] - b.data<float>()[c]), qb.scale[c] / 2 * 1.0001f);
  }
}

TEST(QuantizeBias, DeadChannelWithLargeBiasRaisesItsWeightScale) {
  // Channel 0's weights are ~1e-9 (a dead channel after BatchNorm folding) but its bias is 2:
  // at scale_x * scale_w the bias would overflow int32, so the weight scale is raised.
  Tensor w = testing::tensor_from({2, 2}, {1e-9f, -1e-9f, 0.5f, 0.25f});
  QuantizedWeights q = quantize_weights(w, 0, {127, 127}, "max");
  const float before = q.scale[1];
  const QuantizedBias qb = quantize_bias(testing::tensor_from({2}, {2.0f, 0.1f}), 0.01f, q, w);
  EXPECT_GT(q.scale[0], 1e-9f / 127 * 10);
  EXPECT_LT(std::abs(static_cast<int64_t>(qb.q.data<int32_t>()[0])), int64_t{1} << 31);
  EXPECT_NEAR(qb.q.data<int32_t>()[0] * qb.scale[0], 2.0f, 1e-3f);
  EXPECT_EQ(q.scale[1], before);
}

TEST(Saturation, PairSumsFollowSignsAndMultiplierRanges) {
  // One output channel, 1x1 conv over 3 input channels: weights 100, 100, -120.
  Tensor wq(DType::kInt8, {1, 3, 1, 1});
  wq.data<int8_t>()[0] = 100;
  wq.data<int8_t>()[1] = 100;
  wq.data<int8_t>()[2] = -120;
  ReductionLayout conv;
  MultiplierRange full{{0, 0, 0}, {255, 255, 255}};
  // Two positive products: 255*100 + 255*100 = 51000 > 32767.
  EXPECT_EQ(worst_pair_sums(wq, conv, full)[0], 51000);
  // Calibrated ranges: channel 1 never exceeds 60 -> 255*100 + 60*100 = 31500.
  MultiplierRange calibrated{{0, 0, 0}, {255, 60, 255}};
  EXPECT_EQ(worst_pair_sums(wq, conv, calibrated)[0], 31500);
  EXPECT_LE(worst_pair_sums(wq, conv, calibrated)[0], kInt16Max);
  // The negative side alone: only one negative weight, so its worst pair is 255*120 + 0.
  MultiplierRange only_negative{{0, 0, 0}, {0, 0, 255}};
  EXPECT_EQ(worst_pair_sums(wq, conv, only_negative)[0], 30600);
}

TEST(Saturation, MultiplierRangeShiftsSignedActivations) {
  QParams s8;
  s8.dtype = DType::kInt8;
  s8.scale = {0.1f};
  s8.zero_point = {0};
  // Channel 0 in [-1, 2] -> q in [-10, 20] -> u8 after +128 in [118, 148]; no statistics: full.
  const MultiplierRange r = multiplier_range(s8, 1, {-1.0f}, {2.0f});
  EXPECT_EQ(r.lo[0], 118);
  EXPECT_EQ(r.hi[0], 148);
  const MultiplierRange f = multiplier_range(s8, 2, {}, {});
  EXPECT_EQ(f.lo[1], 0);
  EXPECT_EQ(f.hi[1], 255);
  QParams u8 = s8;
  u8.dtype = DType::kUInt8;
  u8.zero_point = {10};
  // Zero padding is the zero point: included even when the data never reaches it.
  const MultiplierRange u = multiplier_range(u8, 1, {1.0f}, {2.0f});
  EXPECT_EQ(u.lo[0], 10);
  EXPECT_EQ(u.hi[0], 30);
}

TEST(Saturation, DepthwiseHasNoPairsButSingleChannelConvDoes) {
  ReductionLayout dw;
  dw.groups = 8;
  EXPECT_TRUE(has_no_pairs(Tensor(DType::kInt8, {8, 1, 3, 3}), dw));
  ReductionLayout first;  // group 1, one input channel: MLAS pairs kernel positions
  EXPECT_FALSE(has_no_pairs(Tensor(DType::kInt8, {16, 1, 3, 3}), first));
  ReductionLayout mm;
  mm.kind = ReductionLayout::Kind::kMatMul;
  Tensor wq(DType::kInt8, {2, 3});  // [K, N]
  for (int i = 0; i < 6; ++i) wq.data<int8_t>()[i] = static_cast<int8_t>(i % 3 == 1 ? 127 : 1);
  // Column 1 has 127, 127 along K.
  const auto worst = worst_pair_sums(wq, mm, {{0, 0}, {255, 255}});
  EXPECT_EQ(worst[1], 255 * 254);
  EXPECT_EQ(worst[0], 255 * 2);
}

}  // namespace
}  // namespace octet::quant
