// LayerNormalization and Softmax of the reference kernels on rows long enough for the
// vectorised and threaded paths, against double-precision formulas computed here; and
// QuantizeLinear's round-half-to-even and saturation.
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/op_tester.hpp"

namespace octet::test {
namespace {

using ir::OpKind;

TEST(RefLayerNorm, MatchesFormulaWithMeanAndInvStdDev) {
  const int64_t rows = 70, len = 768;
  const Tensor x = random_tensor(DType::kFloat32, {2, 35, len}, 1, -3, 5);
  const Tensor scale = random_tensor(DType::kFloat32, {len}, 2);
  const Tensor bias = random_tensor(DType::kFloat32, {len}, 3);
  Tensor y(DType::kFloat32, x.shape), mean(DType::kFloat32, {2, 35, 1}), inv(DType::kFloat32, {2, 35, 1});
  for (int64_t r = 0; r < rows; ++r) {
    double m = 0, v = 0;
    for (int64_t i = 0; i < len; ++i) m += x.data<float>()[r * len + i];
    m /= len;
    for (int64_t i = 0; i < len; ++i) v += std::pow(x.data<float>()[r * len + i] - m, 2);
    const double is = 1 / std::sqrt(v / len + 1e-5);
    for (int64_t i = 0; i < len; ++i)
      y.data<float>()[r * len + i] =
          static_cast<float>((x.data<float>()[r * len + i] - m) * is * scale.data<float>()[i] + bias.data<float>()[i]);
    mean.data<float>()[r] = static_cast<float>(m);
    inv.data<float>()[r] = static_cast<float>(is);
  }
  OpTester t(OpKind::LayerNormalization);
  t.input("X", x).constant("Scale", scale).constant("B", bias).attr("axis", int64_t{-1})
      .output_desc(0, DType::kFloat32, x.shape).output_desc(1, DType::kFloat32, {2, 35, 1})
      .output_desc(2, DType::kFloat32, {2, 35, 1})
      .expect(0, y).expect(1, mean).expect(2, inv).threads(2);
  t.run();
}

TEST(RefSoftmax, LastAxisAndInnerAxis) {
  const Tensor x = random_tensor(DType::kFloat32, {4, 3, 197}, 4, -20, 20);
  for (int64_t axis : {int64_t{-1}, int64_t{1}}) {
    Tensor y(DType::kFloat32, x.shape);
    const int64_t len = axis == -1 ? 197 : 3, inner = axis == -1 ? 1 : 197;
    for (int64_t o = 0; o < (axis == -1 ? 12 : 4); ++o)
      for (int64_t i = 0; i < inner; ++i) {
        const float* xr = x.data<float>() + o * len * inner + i;
        double mx = -1e30, sum = 0;
        for (int64_t k = 0; k < len; ++k) mx = std::max<double>(mx, xr[k * inner]);
        for (int64_t k = 0; k < len; ++k) sum += std::exp(xr[k * inner] - mx);
        for (int64_t k = 0; k < len; ++k)
          y.data<float>()[o * len * inner + i + k * inner] = static_cast<float>(std::exp(xr[k * inner] - mx) / sum);
      }
    SCOPED_TRACE(axis);
    OpTester(OpKind::Softmax).opset(13).input("X", x).attr("axis", axis).expect(0, y).tolerance(1e-5, 1e-7).run();
  }
}

TEST(RefQuantize, RoundsHalfToEvenAndSaturates) {
  const Tensor x = make_tensor({8}, {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 300.0f, -300.0f, 127.4f});
  const Tensor scale = make_tensor({}, {1.0f});
  OpTester(OpKind::QuantizeLinear).input("X", x).constant("S", scale)
      .constant("Z", Tensor::from_vector<int8_t>(DType::kInt8, {}, {0}))
      .expect(0, Tensor::from_vector<int8_t>(DType::kInt8, {8}, {0, 2, 2, 0, -2, 127, -128, 127}))
      .run();
  OpTester(OpKind::QuantizeLinear).input("X", x).constant("S", scale)
      .constant("Z", Tensor::from_vector<uint8_t>(DType::kUInt8, {}, {10}))
      .expect(0, Tensor::from_vector<uint8_t>(DType::kUInt8, {8}, {10, 12, 12, 10, 8, 255, 0, 137}))
      .run();
  // Per-axis dequantization: one scale and zero point per channel of axis 1.
  const Tensor q = Tensor::from_vector<uint8_t>(DType::kUInt8, {1, 2, 2}, {10, 20, 30, 40});
  OpTester(OpKind::DequantizeLinear).input("Q", q).constant("S", make_tensor({2}, {0.5f, 2.0f}))
      .constant("Z", Tensor::from_vector<uint8_t>(DType::kUInt8, {2}, {10, 20}))
      .attr("axis", int64_t{1})
      .expect(0, make_tensor({1, 2, 2}, {0.0f, 5.0f, 20.0f, 40.0f}))
      .run();
}

}  // namespace
}  // namespace octet::test
