// dnnl_eltwise against the reference kernels, on plain, nhwc and nChw8c inputs with channel
// counts that leave nChw8c padding (activations that are not zero at zero must keep it zero).
#include <gtest/gtest.h>

#include "runtime/dnnl/dnnl_tester.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;
using rt::Layout;

TEST(DnnlEltwise, EveryOpInEveryLayout) {
  struct Case {
    OpKind op;
    float lo = -3.0f, hi = 3.0f;  // input range (Sqrt and Reciprocal want positives)
    std::vector<std::pair<std::string, float>> attrs;
  };
  const std::vector<Case> cases = {
      {OpKind::Relu},        {OpKind::LeakyRelu, -3, 3, {{"alpha", 0.2f}}},
      {OpKind::Sigmoid},     {OpKind::Tanh},
      {OpKind::HardSigmoid, -4, 4, {{"alpha", 0.3f}, {"beta", 0.4f}}},
      {OpKind::HardSwish, -5, 5},
      {OpKind::Elu, -3, 3, {{"alpha", 0.7f}}},
      {OpKind::Exp},
      {OpKind::Sqrt, 0.0f, 5.0f},
      {OpKind::Abs},         {OpKind::Neg},
      {OpKind::Reciprocal, 0.5f, 4.0f},
      {OpKind::Softplus},    {OpKind::Round, -4, 4},
  };
  uint32_t seed = 1;
  for (const Case& c : cases)
    for (Layout layout : {Layout::kPlain, Layout::kNhwc, Layout::kNChw8c})
      for (const Shape& shape : {Shape{1, 13, 5, 7}, Shape{2, 16, 3, 3}}) {
        OneNode one(c.op);
        one.input(random_tensor(shape, seed++, c.lo, c.hi));
        for (const auto& [k, v] : c.attrs) one.f(k, v);
        expect_like_reference("dnnl_eltwise", one, {layout}, 1e-5f);
        KernelRun run = run_kernel("dnnl_eltwise", one, {layout});
        EXPECT_EQ(run.output_layouts[0], layout) << "an activation keeps its input's layout";
        EXPECT_EQ(run.output0_may_alias, 0);
      }
}

TEST(DnnlEltwise, ClipBoundsFromInputsAndRanks) {
  for (Layout layout : {Layout::kPlain, Layout::kNChw8c}) {
    OneNode clip(OpKind::Clip);
    clip.input(random_tensor({1, 17, 4, 4}, 3, -8, 8))
        .input(Tensor::from_vector<float>(DType::kFloat32, {}, {0.0f}), true)
        .input(Tensor::from_vector<float>(DType::kFloat32, {}, {6.0f}), true);
    expect_like_reference("dnnl_eltwise", clip, {layout});
    OneNode max_only(OpKind::Clip);
    max_only.input(random_tensor({1, 17, 4, 4}, 4, -8, 8)).omitted().input(Tensor::from_vector<float>(DType::kFloat32, {}, {1.5f}), true);
    expect_like_reference("dnnl_eltwise", max_only, {layout});
  }
  for (const Shape& shape : {Shape{}, Shape{7}, Shape{3, 5}, Shape{2, 3, 4, 5, 6}}) {
    OneNode one(OpKind::Sigmoid);
    one.input(random_tensor(shape, 9));
    expect_like_reference("dnnl_eltwise", one);
  }
}

TEST(DnnlEltwise, DeclinesClipWithRunTimeBounds) {
  OneNode clip(OpKind::Clip);
  clip.input(random_tensor({1, 8, 2, 2}, 3)).input(Tensor::from_vector<float>(DType::kFloat32, {}, {0.0f}));
  EXPECT_NE(run_kernel("dnnl_eltwise", clip).why_not, "");
}

TEST(DnnlEltwise, InPlace) {
  OneNode one(OpKind::HardSwish);
  one.input(random_tensor({1, 13, 6, 6}, 11, -5, 5));
  expect_like_reference("dnnl_eltwise", one, {Layout::kNChw8c}, 1e-5f, 1, /*in_place=*/true);
}

}  // namespace
}  // namespace octet::testing
