// dnnl_binary against the reference kernels: same shapes, per-channel broadcasting (the SE
// block's x * s with s of N,C,1,1), scalars, a broadcast first input (swapped, and negated for
// Sub), lower-rank constants, and each layout with odd channel counts.
#include <gtest/gtest.h>

#include "runtime/dnnl/dnnl_tester.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;
using rt::Layout;

const OpKind kOps[] = {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Max, OpKind::Min};

TEST(DnnlBinary, SameShapeInEveryLayout) {
  uint32_t seed = 1;
  for (OpKind op : kOps)
    for (Layout la : {Layout::kPlain, Layout::kNhwc, Layout::kNChw8c})
      for (Layout lb : {Layout::kPlain, Layout::kNChw8c}) {
        OneNode one(op);
        one.input(random_tensor({1, 13, 5, 6}, seed++)).input(random_tensor({1, 13, 5, 6}, seed++, 0.5f, 2.0f));
        expect_like_reference("dnnl_binary", one, {la, lb});
        KernelRun run = run_kernel("dnnl_binary", one, {la, lb});
        ASSERT_EQ(run.why_not, "") << op_name(op) << " " << rt::layout_name(la) << " " << rt::layout_name(lb);
        EXPECT_EQ(run.output_layouts[0], la != Layout::kPlain ? la : lb) << "keeps the inputs' non-plain layout";
      }
}

TEST(DnnlBinary, Broadcasting) {
  uint32_t seed = 100;
  struct Case {
    Shape a, b;
    bool b_constant;
  };
  const std::vector<Case> cases = {
      {{1, 21, 6, 6}, {1, 21, 1, 1}, false},  // SE block: x * sigmoid(pool(x))
      {{2, 21, 6, 6}, {1, 21, 1, 1}, true},
      {{1, 21, 6, 6}, {21, 1, 1}, true},      // per-channel constant of lower rank
      {{1, 21, 6, 6}, {}, true},              // scalar
      {{1, 21, 6, 6}, {6}, true},             // last axis
      {{1, 21, 1, 1}, {1, 21, 6, 6}, false},  // broadcast first input: swapped
      {{3, 1, 5}, {3, 4, 5}, false},
      {{4, 7}, {7}, true},
  };
  for (OpKind op : kOps)
    for (const Case& c : cases)
      for (Layout layout : {Layout::kPlain, Layout::kNhwc, Layout::kNChw8c}) {
        OneNode one(op);
        one.input(random_tensor(c.a, seed++)).input(random_tensor(c.b, seed++, 0.5f, 2.0f), c.b_constant);
        const size_t rank = std::max(c.a.size(), c.b.size());
        const Layout l = rank >= 3 ? layout : Layout::kPlain;
        KernelRun probe = run_kernel("dnnl_binary", one, {c.a.size() == rank ? l : Layout::kPlain,
                                                          c.b.size() == rank ? l : Layout::kPlain});
        if (op == OpKind::Div && shape_numel(c.a) < shape_numel(c.b)) {
          EXPECT_NE(probe.why_not, "") << "Div with a broadcast numerator goes to the reference";
          continue;
        }
        expect_like_reference("dnnl_binary", one, {c.a.size() == rank ? l : Layout::kPlain,
                                                   c.b.size() == rank ? l : Layout::kPlain});
      }
}

TEST(DnnlBinary, InPlaceAndTwoThreads) {
  OneNode one(OpKind::Add);
  one.input(random_tensor({1, 24, 10, 10}, 7)).input(random_tensor({1, 24, 10, 10}, 8));
  expect_like_reference("dnnl_binary", one, {Layout::kNChw8c, Layout::kNChw8c}, 1e-5f, 2, /*in_place=*/true);
}

}  // namespace
}  // namespace octet::testing
