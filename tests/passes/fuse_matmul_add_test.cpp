// fuse_matmul_add: MatMul + bias Add and Gemm become FullyConnected; numbers stay.
#include <gtest/gtest.h>

#include "passes/graph_eval.hpp"
#include "passes/passes.hpp"

namespace octet {
namespace {

using ir::Attribute;
using ir::OpKind;
using testing::count_ops;

TEST(FuseMatmulAdd, MatMulWithBiasAndGemm) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {2, 3, 8});
  const auto mm = b.node(OpKind::MatMul, {x, b.random("w", {8, 5})});
  const auto y = b.node(OpKind::Add, {b.random("bias", {1, 1, 5}), mm});  // bias first
  const auto flat = b.node(OpKind::Reshape, {y, b.ints("shape", {2}, {6, 5})});
  const auto gemm = b.node(OpKind::Gemm, {flat, b.random("wg", {4, 5}), b.random("cg", {4})},
                           {{"transB", Attribute::make_int(1)}, {"alpha", Attribute::make_float(0.5f)},
                            {"beta", Attribute::make_float(2.0f)}});
  const auto plain = b.node(OpKind::MatMul, {gemm, b.random("w2", {4, 3})});  // no bias
  b.output(plain);
  ir::Graph g = b.finish();
  const ir::Graph original = g;
  EXPECT_EQ(passes::fuse_matmul_add(g, {}), "2 MatMul and 1 Gemm to FullyConnected, 1 bias Add absorbed");
  g.compact();
  ir::verify(g);
  EXPECT_EQ(count_ops(g, OpKind::FullyConnected), 3);
  EXPECT_EQ(count_ops(g, OpKind::Add) + count_ops(g, OpKind::MatMul) + count_ops(g, OpKind::Gemm), 0);
  for (const ir::Node& n : g.nodes)
    if (n.op == OpKind::FullyConnected) {
      EXPECT_EQ(g.value(n.inputs[1]).shape.size(), 2u);
      if (n.input(2) != ir::kNoValue) EXPECT_EQ(g.value(n.inputs[2]).shape.size(), 1u);
    }
  testing::expect_same_numbers(g, original);
}

TEST(FuseMatmulAdd, LeavesWhatFullyConnectedCannotExpress) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {3, 8});
  const auto w = b.input("w", {8, 4});
  b.output(b.node(OpKind::MatMul, {x, w}));  // weight not constant
  const auto t = b.node(OpKind::Gemm, {x, b.random("wg", {3, 4})}, {{"transA", Attribute::make_int(1)}});
  b.output(t);
  // A bias that broadcasts over rows as well ([3, 4]) is not a per-column bias.
  const auto mm = b.node(OpKind::MatMul, {x, b.random("w2", {8, 4})});
  b.output(b.node(OpKind::Add, {mm, b.random("rows", {3, 4})}));
  ir::Graph g = b.finish();
  EXPECT_EQ(passes::fuse_matmul_add(g, {}), "1 MatMul and 0 Gemm to FullyConnected, 0 bias Add absorbed");
  EXPECT_EQ(count_ops(g, OpKind::Add), 1);
  EXPECT_EQ(count_ops(g, OpKind::Gemm), 1);
}

}  // namespace
}  // namespace octet
