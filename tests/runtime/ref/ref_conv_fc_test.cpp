// The reference Conv, FusedConv and FullyConnected against naive loops written here: direct
// convolution (no im2col), a plain triple-loop matmul, and ops.def's activation formulas.
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/op_tester.hpp"

namespace octet::test {
namespace {

using ir::OpKind;

struct ConvCase {
  int64_t n, c, h, w, m, k, stride, pad, dil, group;
};

// Direct convolution, NCHW, symmetric pads.
Tensor naive_conv(const Tensor& x, const Tensor& wei, const Tensor* bias, const ConvCase& p) {
  const int64_t span = (p.k - 1) * p.dil + 1;
  const int64_t oh = (p.h + 2 * p.pad - span) / p.stride + 1, ow = (p.w + 2 * p.pad - span) / p.stride + 1;
  Tensor y(DType::kFloat32, {p.n, p.m, oh, ow});
  const int64_t cg = p.c / p.group, mg = p.m / p.group;
  for (int64_t n = 0; n < p.n; ++n)
    for (int64_t m = 0; m < p.m; ++m)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double acc = bias ? bias->data<float>()[m] : 0.0;
          const int64_t g = m / mg;
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t a = 0; a < p.k; ++a)
              for (int64_t b = 0; b < p.k; ++b) {
                const int64_t ih = i * p.stride - p.pad + a * p.dil, iw = j * p.stride - p.pad + b * p.dil;
                if (ih < 0 || ih >= p.h || iw < 0 || iw >= p.w) continue;
                acc += x.data<float>()[((n * p.c + g * cg + c) * p.h + ih) * p.w + iw] *
                       wei.data<float>()[((m * cg + c) * p.k + a) * p.k + b];
              }
          y.data<float>()[((n * p.m + m) * oh + i) * ow + j] = static_cast<float>(acc);
        }
  return y;
}

TEST(RefConv, MatchesDirectConvolution) {
  const ConvCase cases[] = {
      {1, 3, 7, 9, 4, 3, 1, 1, 1, 1},   // padded 3x3
      {2, 4, 8, 8, 6, 3, 2, 0, 1, 2},   // strided, grouped
      {1, 8, 9, 7, 8, 3, 1, 2, 2, 8},   // depthwise, dilated
      {1, 16, 5, 5, 8, 1, 1, 0, 1, 1},  // 1x1: the direct (no im2col) path
  };
  uint32_t seed = 1;
  for (const ConvCase& p : cases) {
    const Tensor x = random_tensor(DType::kFloat32, {p.n, p.c, p.h, p.w}, seed++);
    const Tensor w = random_tensor(DType::kFloat32, {p.m, p.c / p.group, p.k, p.k}, seed++);
    const Tensor b = random_tensor(DType::kFloat32, {p.m}, seed++);
    OpTester t(OpKind::Conv);
    t.threads(2).input("X", x).constant("W", w).constant("B", b)
        .attr("strides", std::vector<int64_t>{p.stride, p.stride})
        .attr("pads", std::vector<int64_t>{p.pad, p.pad, p.pad, p.pad})
        .attr("dilations", std::vector<int64_t>{p.dil, p.dil})
        .attr("group", p.group)
        .expect(0, naive_conv(x, w, &b, p))
        .tolerance(1e-4, 1e-5);
    const OpReport r = t.run();
    EXPECT_TRUE(r.ran_kernel("ref_conv"));
  }
}

// FusedConv = activation(conv + B + Sum), with each activation ops.def lists.
TEST(RefConv, FusedConvAppliesSumThenActivation) {
  const ConvCase p{1, 4, 6, 6, 5, 3, 1, 1, 1, 1};
  const Tensor x = random_tensor(DType::kFloat32, {1, 4, 6, 6}, 11, -2, 2);
  const Tensor w = random_tensor(DType::kFloat32, {5, 4, 3, 3}, 12);
  const Tensor b = random_tensor(DType::kFloat32, {5}, 13);
  const Tensor sum = random_tensor(DType::kFloat32, {1, 5, 6, 6}, 14, -3, 3);
  const Tensor conv = naive_conv(x, w, &b, p);
  struct Act {
    const char* name;
    float alpha, beta;
    double (*f)(double, double, double);
  };
  const Act acts[] = {
      {"", 0, 0, [](double v, double, double) { return v; }},
      {"Relu", 0, 0, [](double v, double, double) { return v > 0 ? v : 0; }},
      {"LeakyRelu", 0.1f, 0, [](double v, double a, double) { return v < 0 ? a * v : v; }},
      {"Clip", -0.5f, 1.5f, [](double v, double a, double b) { return std::min(b, std::max(a, v)); }},
      {"Sigmoid", 0, 0, [](double v, double, double) { return 1 / (1 + std::exp(-v)); }},
      {"HardSigmoid", 0.2f, 0.5f, [](double v, double a, double b) { return std::max(0.0, std::min(1.0, a * v + b)); }},
      {"HardSwish", 0, 0, [](double v, double, double) { return v * std::max(0.0, std::min(1.0, v / 6 + 0.5)); }},
      {"Tanh", 0, 0, [](double v, double, double) { return std::tanh(v); }},
      {"Swish", 0, 0, [](double v, double, double) { return v / (1 + std::exp(-v)); }},
      {"Gelu", 0, 0, [](double v, double, double) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }},
  };
  for (const Act& a : acts) {
    Tensor want(DType::kFloat32, conv.shape);
    for (int64_t i = 0; i < want.numel(); ++i)
      want.data<float>()[i] = static_cast<float>(a.f(conv.data<float>()[i] + sum.data<float>()[i], a.alpha, a.beta));
    OpTester t(OpKind::FusedConv);
    t.input("X", x).constant("W", w).constant("B", b).input("Sum", sum)
        .attr("pads", std::vector<int64_t>{1, 1, 1, 1})
        .attr("activation", a.name).attr("alpha", a.alpha).attr("beta", a.beta)
        .output_desc(0, DType::kFloat32, conv.shape)
        .expect(0, want)
        .tolerance(1e-4, 2e-5);
    SCOPED_TRACE(a.name);
    t.run();
  }
}

TEST(RefFullyConnected, MatchesNaiveMatmulBiasActivation) {
  const Tensor x = random_tensor(DType::kFloat32, {2, 3, 37}, 21);
  const Tensor w = random_tensor(DType::kFloat32, {37, 70}, 22);
  const Tensor b = random_tensor(DType::kFloat32, {70}, 23);
  Tensor want(DType::kFloat32, {2, 3, 70});
  for (int64_t r = 0; r < 6; ++r)
    for (int64_t n = 0; n < 70; ++n) {
      double acc = b.data<float>()[n];
      for (int64_t k = 0; k < 37; ++k) acc += x.data<float>()[r * 37 + k] * w.data<float>()[k * 70 + n];
      want.data<float>()[r * 70 + n] = static_cast<float>(acc < 0 ? 0.2 * acc : acc);
    }
  OpTester t(OpKind::FullyConnected);
  t.input("X", x).constant("W", w).constant("B", b)
      .attr("activation", "LeakyRelu").attr("alpha", 0.2f)
      .output_desc(0, DType::kFloat32, {2, 3, 70})
      .expect(0, want);
  EXPECT_TRUE(t.run().ran_kernel("ref_fully_connected"));
}

TEST(RefMatMul, BroadcastsBatchAndPromotesVectors) {
  const Tensor a = random_tensor(DType::kFloat32, {2, 1, 5, 7}, 31);
  const Tensor b = random_tensor(DType::kFloat32, {3, 7, 4}, 32);
  Tensor want(DType::kFloat32, {2, 3, 5, 4});
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t m = 0; m < 5; ++m)
        for (int64_t n = 0; n < 4; ++n) {
          double acc = 0;
          for (int64_t k = 0; k < 7; ++k) acc += a.data<float>()[(i * 5 + m) * 7 + k] * b.data<float>()[(j * 7 + k) * 4 + n];
          want.data<float>()[((i * 3 + j) * 5 + m) * 4 + n] = static_cast<float>(acc);
        }
  OpTester(OpKind::MatMul).input("A", a).input("B", b).expect(0, want).run();
  // A vector on the left drops M.
  const Tensor v = random_tensor(DType::kFloat32, {7}, 33);
  const Tensor m = random_tensor(DType::kFloat32, {7, 4}, 34);
  Tensor vm(DType::kFloat32, {4});
  for (int64_t n = 0; n < 4; ++n) {
    double acc = 0;
    for (int64_t k = 0; k < 7; ++k) acc += v.data<float>()[k] * m.data<float>()[k * 4 + n];
    vm.data<float>()[n] = static_cast<float>(acc);
  }
  OpTester(OpKind::MatMul).input("A", v).input("B", m).expect(0, vm).run();
}

}  // namespace
}  // namespace octet::test
