// fold_constants: constant chains and Shape chains over static shapes fold; big expanding
// nodes and nodes no kernel can evaluate stay; numbers are unchanged.
#include <gtest/gtest.h>

#include "octet/error.hpp"
#include "passes/graph_eval.hpp"
#include "passes/passes.hpp"

namespace octet {
namespace {

using ir::OpKind;
using testing::count_ops;

passes::PassOptions with_kernels() {
  passes::PassOptions o;
  o.evaluate = rt::evaluate_node;
  return o;
}

TEST(FoldConstants, ShapeChainBecomesConstantReshapeTarget) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {2, 3, 4, 4});
  const auto shape = b.node(OpKind::Shape, {x});
  const auto batch = b.node(OpKind::Gather, {shape, b.ints("zero", {}, {0})}, {{"axis", ir::Attribute::make_int(0)}});
  const auto batch1 = b.node(OpKind::Unsqueeze, {batch, b.ints("axes", {1}, {0})});
  const auto target = b.node(OpKind::Concat, {batch1, b.ints("minus1", {1}, {-1})}, {{"axis", ir::Attribute::make_int(0)}});
  const auto y = b.node(OpKind::Reshape, {x, target});
  // A constant-only branch: (c1 + c2) * x.
  const auto sum = b.node(OpKind::Add, {b.random("c1", {48}), b.random("c2", {48})});
  b.output(b.node(OpKind::Mul, {y, sum}));
  ir::Graph g = b.finish();
  const ir::Graph original = g;
  EXPECT_EQ(g.value(y).shape, Shape({-1, -1}));  // not static before folding

  const std::string what = passes::fold_constants(g, with_kernels());
  EXPECT_NE(what.find("5 nodes folded"), std::string::npos) << what;
  g.compact();
  ir::verify(g);
  EXPECT_EQ(g.live_node_count(), 2u);  // Reshape and Mul
  EXPECT_EQ(count_ops(g, OpKind::Reshape), 1);
  const ir::Node& reshape = g.nodes[0].op == OpKind::Reshape ? g.nodes[0] : g.nodes[1];
  ASSERT_TRUE(g.value(reshape.inputs[1]).is_constant());
  EXPECT_EQ(g.value(reshape.outputs[0]).shape, Shape({2, 48}));

  const auto inputs = testing::random_inputs(original);
  testing::expect_close(testing::evaluate_graph(g, inputs)[0], testing::evaluate_graph(original, inputs)[0]);
}

TEST(FoldConstants, NodesWithoutKernelStaySilently) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {1, 8});
  const auto c = b.node(OpKind::Exp, {b.random("c", {8})});
  const auto size = b.node(OpKind::Size, {x});
  b.output(b.node(OpKind::Add, {x, c}));
  b.output(b.node(OpKind::Cast, {size}, {{"to", ir::Attribute::make_int(1)}}));
  ir::Graph g = b.finish();
  passes::PassOptions o;
  o.evaluate = [](const ir::Graph&, const ir::Node& n, const std::vector<const Tensor*>&) -> std::vector<Tensor> {
    fail(n.describe(), ": no reference kernel can evaluate it");
  };
  // Size of a static shape folds without evaluating; Exp cannot be evaluated and stays.
  EXPECT_EQ(passes::fold_constants(g, o), "1 nodes folded (1 Shape/Size of static shapes)");
  EXPECT_EQ(count_ops(g, OpKind::Exp), 1);
  EXPECT_EQ(count_ops(g, OpKind::Size), 0);
}

TEST(FoldConstants, HugeExpansionStaysANode) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {1});
  // 5000 x 5000 float32 = 100 MB made from a 16-byte shape: folding would bloat the model.
  const auto big = b.node(OpKind::ConstantOfShape, {b.ints("shape", {2}, {5000, 5000})});
  b.output(b.node(OpKind::Add, {big, x}));
  ir::Graph g = b.finish();
  EXPECT_EQ(g.value(big).shape, Shape({5000, 5000}));
  EXPECT_EQ(passes::fold_constants(g, with_kernels()), "");
  EXPECT_EQ(count_ops(g, OpKind::ConstantOfShape), 1);
}

TEST(FoldConstants, QdqOfConstantWeightsIsKept) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {1, 4});
  const auto w = b.constant("w", Tensor::from_vector<int8_t>(DType::kInt8, {4}, {1, -2, 3, -4}));
  const auto dq = b.node(OpKind::DequantizeLinear, {w, b.floats("s", {}, {0.5f}),
                                                    b.constant("zp", Tensor::from_vector<int8_t>(DType::kInt8, {}, {0}))});
  b.output(b.node(OpKind::Mul, {x, dq}));
  ir::Graph g = b.finish();
  EXPECT_EQ(passes::fold_constants(g, with_kernels()), "");
  EXPECT_EQ(count_ops(g, OpKind::DequantizeLinear), 1);
}

}  // namespace
}  // namespace octet
