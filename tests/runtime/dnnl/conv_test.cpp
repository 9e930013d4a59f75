// dnnl_conv against a plain-loop convolution: strides, pads, auto_pad, dilations, groups,
// depthwise, 1-D and 3-D, odd channel counts (nChw8c padding), bias, residual sums (copied
// and in place) and every fused activation.
#include <gtest/gtest.h>

#include <cmath>

#include "runtime/dnnl/dnnl_tester.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;
using rt::Layout;

struct ConvCase {
  Shape x, w;
  std::vector<int64_t> strides, pads, dilations;
  int64_t group = 1;
  std::string auto_pad = "NOTSET";
  bool bias = true;
};

float activate(float v, const std::string& a, float alpha, float beta) {
  if (a == "Relu") return std::max(v, 0.0f);
  if (a == "LeakyRelu") return v < 0 ? alpha * v : v;
  if (a == "Clip") return std::min(std::max(v, alpha), beta);
  if (a == "Sigmoid") return 1.0f / (1.0f + std::exp(-v));
  if (a == "HardSigmoid") return std::min(1.0f, std::max(0.0f, alpha * v + beta));
  if (a == "HardSwish") return v * std::min(1.0f, std::max(0.0f, v / 6.0f + 0.5f));
  if (a == "Tanh") return std::tanh(v);
  if (a == "Swish") return v / (1.0f + std::exp(-v));
  if (a == "Gelu") return 0.5f * v * (1.0f + std::erf(v / std::sqrt(2.0f)));
  return v;
}

// Plain-loop N-d convolution; the output shape comes from shape inference, the begin pads
// from the attributes (auto_pad resolved as ONNX says).
Tensor loop_conv(const OneNode& one, const ConvCase& c, const Shape& out_shape, const Tensor& x, const Tensor& w,
                 const Tensor* b, const Tensor* sum, const std::string& act, float alpha, float beta) {
  const size_t sp = x.shape.size() - 2;
  std::vector<int64_t> st(sp, 1), di(sp, 1), pl(sp, 0);
  for (size_t i = 0; i < sp; ++i) {
    if (!c.strides.empty()) st[i] = c.strides[i];
    if (!c.dilations.empty()) di[i] = c.dilations[i];
    const int64_t k = w.shape[i + 2], span = (k - 1) * di[i] + 1;
    if (c.auto_pad == "SAME_UPPER" || c.auto_pad == "SAME_LOWER") {
      const int64_t total = std::max<int64_t>(0, (out_shape[i + 2] - 1) * st[i] + span - x.shape[i + 2]);
      pl[i] = c.auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    } else if (c.auto_pad == "NOTSET" && !c.pads.empty()) {
      pl[i] = c.pads[i];
    }
  }
  Tensor y(DType::kFloat32, out_shape);
  const int64_t N = x.shape[0], C = x.shape[1], OC = w.shape[0], cg = C / c.group, og = OC / c.group;
  int64_t osize = 1, ksize = 1, isize = 1;
  for (size_t i = 0; i < sp; ++i) osize *= out_shape[i + 2], ksize *= w.shape[i + 2], isize *= x.shape[i + 2];
  std::vector<int64_t> o(sp), k(sp);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oc = 0; oc < OC; ++oc)
      for (int64_t op = 0; op < osize; ++op) {
        int64_t rem = op;
        for (size_t i = sp; i-- > 0;) o[i] = rem % out_shape[i + 2], rem /= out_shape[i + 2];
        double acc = b ? b->data<float>()[oc] : 0.0;
        const int64_t g = oc / og;
        for (int64_t ic = 0; ic < cg; ++ic)
          for (int64_t kp = 0; kp < ksize; ++kp) {
            int64_t r = kp, xi = 0;
            bool inside = true;
            for (size_t i = sp; i-- > 0;) k[i] = r % w.shape[i + 2], r /= w.shape[i + 2];
            for (size_t i = 0; i < sp; ++i) {
              const int64_t p = o[i] * st[i] - pl[i] + k[i] * di[i];
              if (p < 0 || p >= x.shape[i + 2]) inside = false;
              xi = xi * x.shape[i + 2] + p;
            }
            if (!inside) continue;
            acc += static_cast<double>(x.data<float>()[(n * C + g * cg + ic) * isize + xi]) *
                   w.data<float>()[(oc * cg + ic) * ksize + kp];
          }
        const int64_t yi = (n * OC + oc) * osize + op;
        if (sum) acc += sum->data<float>()[yi];
        y.data<float>()[yi] = activate(static_cast<float>(acc), act, alpha, beta);
      }
  (void)one;
  return y;
}

OneNode make_conv(const ConvCase& c, uint32_t seed, bool fused = false, const std::string& act = "", float alpha = 0,
                  float beta = 0, bool sum = false) {
  OneNode one(fused ? OpKind::FusedConv : OpKind::Conv);
  one.input(random_tensor(c.x, seed)).input(random_tensor(c.w, seed + 1, -0.5f, 0.5f), true);
  if (c.bias) one.input(random_tensor({c.w[0]}, seed + 2), true);
  else if (sum) one.omitted();
  if (!c.strides.empty()) one.ints("strides", c.strides);
  if (!c.pads.empty()) one.ints("pads", c.pads);
  if (!c.dilations.empty()) one.ints("dilations", c.dilations);
  if (c.group != 1) one.i("group", c.group);
  if (c.auto_pad != "NOTSET") one.s("auto_pad", c.auto_pad);
  if (fused) one.s("activation", act).f("alpha", alpha).f("beta", beta);
  if (sum) {
    // The residual has the output's shape: infer it from a plain Conv of the same geometry.
    OneNode probe = make_conv(c, seed, false);
    one.input(random_tensor(probe.graph().value(probe.graph().outputs[0]).shape, seed + 3));
  }
  return one;
}

void check(const ConvCase& c, uint32_t seed, bool fused = false, const std::string& act = "", float alpha = 0,
           float beta = 0, bool sum = false, int threads = 1) {
  for (bool in_place : {false, true}) {
    if (in_place && !sum) continue;
    OneNode one = make_conv(c, seed, fused, act, alpha, beta, sum);
    auto in = one.all_inputs();
    const Shape out_shape = one.graph().value(one.graph().outputs[0]).shape;
    const Tensor expect = loop_conv(one, c, out_shape, *in[0], *in[1], c.bias ? in[2] : nullptr, sum ? in[3] : nullptr,
                                    act, alpha, beta);
    KernelRun run = run_kernel("dnnl_conv", one, {}, threads, in_place);
    ASSERT_EQ(run.why_not, "") << shape_str(c.x) << " w " << shape_str(c.w);
    EXPECT_TRUE(run.padding_zero) << "nChw8c padding written, " << rt::layout_name(run.output_layouts[0]);
    EXPECT_TRUE(all_close(run.outputs[0], expect, 2e-4f, 2e-4f))
        << shape_str(c.x) << " w " << shape_str(c.w) << " act '" << act << "' sum " << sum << " in place " << in_place
        << " layout " << rt::layout_name(run.output_layouts[0]);
    if (sum) EXPECT_EQ(run.output0_may_alias, 3);
  }
}

TEST(DnnlConv, Geometries) {
  const std::vector<ConvCase> cases = {
      {{1, 3, 17, 19}, {13, 3, 3, 3}, {}, {1, 1, 1, 1}},
      {{1, 16, 14, 14}, {32, 16, 1, 1}},
      {{2, 8, 9, 9}, {16, 8, 3, 3}, {2, 2}, {1, 1, 1, 1}},
      {{1, 17, 12, 10}, {17, 17, 3, 3}, {1, 2}, {0, 1, 2, 1}, {}, 1, "NOTSET", false},
      {{1, 16, 15, 15}, {24, 16, 3, 3}, {}, {2, 2, 2, 2}, {2, 2}},
      {{1, 12, 11, 13}, {18, 4, 3, 3}, {}, {1, 1, 1, 1}, {}, 3},
      {{1, 32, 16, 16}, {32, 1, 3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 32},
      {{1, 13, 10, 10}, {13, 1, 5, 5}, {}, {2, 2, 2, 2}, {}, 13},
      {{1, 8, 10, 11}, {8, 8, 4, 3}, {2, 2}, {}, {}, 1, "SAME_UPPER"},
      {{1, 8, 10, 11}, {8, 8, 4, 3}, {2, 2}, {}, {}, 1, "SAME_LOWER"},
      {{1, 8, 10, 11}, {8, 8, 3, 3}, {2, 1}, {}, {}, 1, "VALID"},
      {{1, 3, 64, 64}, {64, 3, 7, 7}, {2, 2}, {3, 3, 3, 3}},  // ResNet's stem
      {{1, 6, 20}, {10, 6, 3}, {2}, {1, 1}},
      {{1, 4, 5, 6, 7}, {8, 4, 3, 3, 3}, {}, {1, 1, 1, 1, 1, 1}},
  };
  uint32_t seed = 1;
  for (const ConvCase& c : cases) check(c, seed += 10);
}

TEST(DnnlConv, FusedActivationsAndResiduals) {
  const ConvCase c{{1, 13, 9, 9}, {21, 13, 3, 3}, {}, {1, 1, 1, 1}};
  const std::vector<std::tuple<std::string, float, float>> acts = {
      {"", 0, 0},          {"Relu", 0, 0},     {"LeakyRelu", 0.1f, 0}, {"Clip", 0.0f, 6.0f},
      {"Sigmoid", 0, 0},   {"HardSigmoid", 0.2f, 0.5f}, {"HardSwish", 0, 0}, {"Tanh", 0, 0},
      {"Swish", 0, 0},     {"Gelu", 0, 0}};
  uint32_t seed = 100;
  for (const auto& [act, alpha, beta] : acts)
    for (bool sum : {false, true}) check(c, seed += 10, true, act, alpha, beta, sum);
  // A residual after a strided 1x1 (the ResNet downsampling shape) and a depthwise one.
  check({{1, 16, 8, 8}, {32, 16, 1, 1}, {2, 2}}, 300, true, "Relu", 0, 0, true);
  check({{1, 24, 8, 8}, {24, 1, 3, 3}, {}, {1, 1, 1, 1}, {}, 24, "NOTSET", false}, 310, true, "Clip", 0, 6, true);
}

// Each layout forced: nChw8c with channel counts that leave padding (13, 21) and activations
// that are not zero at zero (sigmoid, hard sigmoid) must still leave the padding zero.
TEST(DnnlConv, EveryLayout) {
  for (const char* layout : {"nChw8c", "nhwc", "plain"}) {
    ScopedEnv env("OCTET_DNNL_LAYOUT", layout);
    uint32_t seed = 500;
    check({{1, 13, 9, 9}, {21, 13, 3, 3}, {}, {1, 1, 1, 1}}, seed += 10, true, "Sigmoid", 0, 0, true);
    check({{1, 13, 9, 9}, {21, 13, 3, 3}, {2, 2}, {1, 1, 1, 1}}, seed += 10, true, "HardSigmoid", 0.2f, 0.5f, false);
    check({{1, 21, 7, 7}, {21, 1, 3, 3}, {}, {1, 1, 1, 1}, {}, 21}, seed += 10, true, "Sigmoid", 0, 0, false);
    check({{1, 16, 7, 7}, {13, 16, 1, 1}}, seed += 10, true, "Clip", -0.5f, 0.5f, true);
    KernelRun run;
    OneNode one = make_conv({{1, 16, 7, 7}, {13, 16, 1, 1}}, seed);
    run = run_kernel("dnnl_conv", one);
    EXPECT_EQ(rt::layout_name(run.output_layouts[0]), std::string(layout));
  }
}

// 3x3 stride-1 convs of 32+ channels run Winograd where oneDNN has it (AVX-512); its
// rounding differs from direct convolution by a few ulps of the accumulated sum.
TEST(DnnlConv, WinogradShapes) {
  uint32_t seed = 700;
  for (const char* wino : {"1", "0"}) {
    ScopedEnv env("OCTET_DNNL_WINOGRAD", wino);
    check({{1, 64, 14, 14}, {64, 64, 3, 3}, {}, {1, 1, 1, 1}}, seed += 10, true, "Relu");
    check({{1, 32, 20, 17}, {48, 32, 3, 3}, {}, {0, 1, 1, 0}}, seed += 10, true, "");
    check({{2, 40, 9, 9}, {40, 40, 3, 3}, {}, {1, 1, 1, 1}, {}, 1, "NOTSET", false}, seed += 10, true, "Tanh");
  }
}

TEST(DnnlConv, TwoThreads) {
  check({{1, 32, 28, 28}, {64, 32, 3, 3}, {}, {1, 1, 1, 1}}, 400, true, "Relu", 0, 0, true, 2);
}

TEST(DnnlConv, DeclinesWhatItCannotRun) {
  OneNode one(OpKind::Conv);
  one.input(random_tensor({1, 4, 5, 5}, 1)).input(random_tensor({4, 4, 3, 3}, 2));  // W not constant
  EXPECT_NE(run_kernel("dnnl_conv", one).why_not, "");
  OneNode fused(OpKind::FusedConv);
  fused.input(random_tensor({1, 4, 5, 5}, 1)).input(random_tensor({4, 4, 3, 3}, 2), true).s("activation", "Softplus");
  EXPECT_NE(run_kernel("dnnl_conv", fused).why_not, "");
}

}  // namespace
}  // namespace octet::testing
