// dnnl_softmax and dnnl_layer_norm against the reference: every axis, opset 11's 2-D view and
// opset 13's single axis, blocked inputs, LayerNormalization with and without B and with
// computed (non-constant) scales.
#include <gtest/gtest.h>

#include "runtime/dnnl/dnnl_tester.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;
using rt::Layout;

// oneDNN 2.6 has jit softmax only along a dense axis (the last in plain, channels in nhwc);
// elsewhere the kernel declines (oneDNN would use its reference) and must say so.
TEST(DnnlSoftmax, AxesOpsetsAndLayouts) {
  uint32_t seed = 1;
  int accepted = 0;
  for (OpKind op : {OpKind::Softmax, OpKind::LogSoftmax})
    for (int64_t opset : {11, 13})
      for (int64_t axis : {-1, 0, 1, 2, 3})
        for (Layout layout : {Layout::kPlain, Layout::kNhwc, Layout::kNChw8c}) {
          if (opset < 13 && layout != Layout::kPlain) continue;
          OneNode one(op, opset);
          one.input(random_tensor({2, 13, 3, 5}, seed++, -4, 4)).i("axis", axis);
          const std::string why = run_kernel("dnnl_softmax", one, {layout}).why_not;
          const bool dense = (layout == Layout::kPlain && (axis == -1 || axis == 3 || opset < 13)) ||
                             (layout == Layout::kNhwc && axis == 1);
          if (dense) EXPECT_EQ(why, "") << "axis " << axis << " in " << rt::layout_name(layout);
          if (!why.empty()) {
            EXPECT_NE(why.find("ref"), std::string::npos) << why;
            continue;
          }
          ++accepted;
          expect_like_reference("dnnl_softmax", one, {layout}, 1e-5f);
        }
  EXPECT_GE(accepted, 12);
  OneNode logits(OpKind::Softmax);
  logits.input(random_tensor({1, 1000}, 99, -10, 10));
  expect_like_reference("dnnl_softmax", logits, {}, 1e-5f);
}

TEST(DnnlLayerNorm, AxesBiasAndComputedScales) {
  uint32_t seed = 50;
  for (int64_t axis : {-1, -2, 1})
    for (bool bias : {false, true})
      for (bool constant : {true, false}) {
        const Shape x{2, 7, 96};
        const Shape norm(x.begin() + (axis < 0 ? 3 + axis : axis), x.end());
        OneNode one(OpKind::LayerNormalization);
        one.input(random_tensor(x, seed++, -3, 3)).input(random_tensor(norm, seed++, 0.5f, 1.5f), constant);
        if (bias) one.input(random_tensor(norm, seed++), constant);
        one.i("axis", axis).f("epsilon", 1e-5f);
        expect_like_reference("dnnl_layer_norm", one, {}, 1e-4f);
      }
}

TEST(DnnlLayerNorm, DeclinesStatisticsOutputs) {
  OneNode one(OpKind::LayerNormalization);
  one.input(random_tensor({2, 8}, 1)).input(random_tensor({8}, 2), true).outputs(3);
  EXPECT_NE(run_kernel("dnnl_layer_norm", one).why_not, "");
}

}  // namespace
}  // namespace octet::testing
