// node_macs: multiply-accumulates counted by hand for each layer kind it knows.
#include <gtest/gtest.h>

#include "ir/cost.hpp"
#include "passes/graph_eval.hpp"

namespace octet::testing {
namespace {

using ir::Attribute;
using ir::OpKind;

TEST(NodeCost, ConvCountsOutputsTimesTheWindow) {
  GraphBuilder b;
  const auto x = b.input("x", {1, 8, 10, 10});
  // 3x3, pad 1, stride 1: 16 x 10 x 10 outputs, each 8 x 3 x 3 products.
  const auto y = b.node(OpKind::Conv, {x, b.random("w", {16, 8, 3, 3})}, {{"pads", Attribute::make_ints({1, 1, 1, 1})}});
  // Depthwise (group 16): each output reads 1 x 3 x 3.
  const auto z = b.node(OpKind::Conv, {y, b.random("wd", {16, 1, 3, 3})},
                        {{"pads", Attribute::make_ints({1, 1, 1, 1})}, {"group", Attribute::make_int(16)}});
  b.output(z);
  const ir::Graph g = b.finish();
  EXPECT_DOUBLE_EQ(ir::node_macs(g, g.nodes[0]), 16.0 * 10 * 10 * 8 * 3 * 3);
  EXPECT_DOUBLE_EQ(ir::node_macs(g, g.nodes[1]), 16.0 * 10 * 10 * 9);
  EXPECT_DOUBLE_EQ(ir::node_output_elements(g, g.nodes[1]), 16.0 * 10 * 10);
}

TEST(NodeCost, MatMulAndGemmCountOutputsTimesK) {
  GraphBuilder b;
  const auto x = b.input("x", {4, 6, 32});
  const auto y = b.node(OpKind::MatMul, {x, b.random("w", {32, 5})});  // [4,6,5], K 32
  const auto a = b.input("a", {7, 3});
  // transA: A is [K, M] = [7, 3], so K is 7; B [7, 2] -> Y [3, 2].
  const auto c = b.node(OpKind::Gemm, {a, b.random("bm", {7, 2})}, {{"transA", Attribute::make_int(1)}});
  const auto r = b.node(OpKind::Relu, {c});
  b.output(y);
  b.output(r);
  const ir::Graph g = b.finish();
  EXPECT_DOUBLE_EQ(ir::node_macs(g, g.nodes[0]), 4.0 * 6 * 5 * 32);
  EXPECT_DOUBLE_EQ(ir::node_macs(g, g.nodes[1]), 3.0 * 2 * 7);
  EXPECT_DOUBLE_EQ(ir::node_macs(g, g.nodes[2]), 0.0) << "no multiply-accumulates in an activation";
}

}  // namespace
}  // namespace octet::testing
