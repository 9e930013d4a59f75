// dnnl_pool against the reference kernels: max and average (with and without counted pads),
// strides, pads, auto_pad, ceil_mode, dilations, 1-D to 3-D, global pools, each layout.
#include <gtest/gtest.h>

#include "runtime/dnnl/dnnl_tester.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;
using rt::Layout;

struct PoolCase {
  Shape x;
  std::vector<int64_t> kernel, strides, pads, dilations;
  int64_t ceil_mode = 0;
  std::string auto_pad = "NOTSET";
};

OneNode make_pool(OpKind op, const PoolCase& c, uint32_t seed, int64_t count_include_pad = 0) {
  OneNode one(op);
  one.input(random_tensor(c.x, seed)).ints("kernel_shape", c.kernel);
  if (!c.strides.empty()) one.ints("strides", c.strides);
  if (!c.pads.empty()) one.ints("pads", c.pads);
  if (!c.dilations.empty()) one.ints("dilations", c.dilations);
  if (c.ceil_mode) one.i("ceil_mode", 1);
  if (c.auto_pad != "NOTSET") one.s("auto_pad", c.auto_pad);
  if (op == OpKind::AveragePool && count_include_pad) one.i("count_include_pad", 1);
  return one;
}

TEST(DnnlPool, MaxAndAverage) {
  const std::vector<PoolCase> cases = {
      {{1, 13, 9, 9}, {3, 3}, {2, 2}, {1, 1, 1, 1}},        // ResNet's stem pool
      {{2, 8, 8, 7}, {2, 2}, {2, 2}},
      {{1, 17, 10, 11}, {3, 2}, {2, 1}, {0, 1, 1, 0}},
      {{1, 8, 9, 9}, {3, 3}, {2, 2}, {}, {}, 1},           // ceil_mode
      {{1, 8, 10, 9}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 1},
      {{1, 8, 9, 10}, {3, 3}, {2, 2}, {}, {}, 0, "SAME_UPPER"},
      {{1, 8, 9, 10}, {3, 3}, {2, 2}, {}, {}, 0, "SAME_LOWER"},
      {{1, 8, 9, 10}, {3, 3}, {1, 1}, {}, {}, 0, "VALID"},
      {{1, 5, 12}, {3}, {2}, {1, 1}},
      {{1, 4, 5, 6, 7}, {2, 2, 2}, {1, 2, 2}},
  };
  uint32_t seed = 1;
  for (const PoolCase& c : cases)
    for (Layout layout : {Layout::kPlain, Layout::kNhwc, Layout::kNChw8c}) {
      OneNode max = make_pool(OpKind::MaxPool, c, seed++);
      expect_like_reference("dnnl_pool", max, {layout});
      EXPECT_EQ(run_kernel("dnnl_pool", max, {layout}).output_layouts[0], layout);
      for (int64_t include : {0, 1}) {
        OneNode avg = make_pool(OpKind::AveragePool, c, seed++, include);
        if (include && c.ceil_mode && run_kernel("dnnl_pool", avg, {layout}).why_not != "") continue;
        expect_like_reference("dnnl_pool", avg, {layout});
      }
    }
}

// oneDNN 2.6 has only its reference implementation for some dilated pools: the kernel then
// declines with that reason (the reference kernel takes the node), else it must match.
TEST(DnnlPool, Dilated) {
  PoolCase c{{1, 9, 11, 11}, {3, 3}, {1, 1}, {1, 1, 1, 1}, {2, 2}};
  for (OpKind op : {OpKind::MaxPool, OpKind::AveragePool})
    for (Layout layout : {Layout::kPlain, Layout::kNChw8c}) {
      OneNode pool = make_pool(op, c, 50);
      const std::string why = run_kernel("dnnl_pool", pool, {layout}).why_not;
      if (why.empty()) expect_like_reference("dnnl_pool", pool, {layout});
      else EXPECT_NE(why.find("ref"), std::string::npos) << why;
    }
}

TEST(DnnlPool, Global) {
  uint32_t seed = 70;
  for (OpKind op : {OpKind::GlobalAveragePool, OpKind::GlobalMaxPool})
    for (const Shape& shape : {Shape{1, 2048, 7, 7}, Shape{2, 13, 5, 3}, Shape{1, 6, 10}})
      for (Layout layout : {Layout::kPlain, Layout::kNhwc, Layout::kNChw8c}) {
        OneNode one(op);
        one.input(random_tensor(shape, seed++));
        expect_like_reference("dnnl_pool", one, {layout});
      }
}

TEST(DnnlPool, DeclinesIndices) {
  OneNode one = make_pool(OpKind::MaxPool, {{1, 8, 4, 4}, {2, 2}, {2, 2}}, 3);
  one.outputs(2);
  EXPECT_NE(run_kernel("dnnl_pool", one).why_not, "");
}

}  // namespace
}  // namespace octet::testing
