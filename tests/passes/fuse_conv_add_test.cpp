// fuse_conv_add and the whole pipeline on residual blocks: ResNet's relu(conv + bn + x) is one
// FusedConv with a Sum and Relu; broadcasting Adds stay.
#include <gtest/gtest.h>

#include "passes/graph_eval.hpp"
#include "passes/passes.hpp"
#include "passes/pipeline.hpp"

namespace octet {
namespace {

using ir::Attribute;
using ir::OpKind;
using testing::count_ops;

ir::ValueId conv_bn(testing::GraphBuilder& b, ir::ValueId x, int64_t cin, int64_t cout, int64_t stride,
                    const std::string& name) {
  const auto c = b.node(OpKind::Conv, {x, b.random(name + ".w", {cout, cin, 3, 3}, -0.3f, 0.3f)},
                        {{"pads", Attribute::make_ints({1, 1, 1, 1})}, {"strides", Attribute::make_ints({stride, stride})}},
                        name);
  return b.node(OpKind::BatchNormalization,
                {c, b.random(name + ".scale", {cout}, 0.5f, 1.5f), b.random(name + ".bias", {cout}),
                 b.random(name + ".mean", {cout}, -0.1f, 0.1f), b.random(name + ".var", {cout}, 0.5f, 1.5f)},
                {}, name + "_bn");
}

// Two ResNet basic blocks: one with identity shortcut, one with a strided conv shortcut.
ir::Graph resnet_blocks() {
  testing::GraphBuilder b;
  const auto x = b.input("x", {1, 4, 8, 8});
  auto t = b.node(OpKind::Relu, {conv_bn(b, x, 4, 4, 1, "b1c1")});
  t = conv_bn(b, t, 4, 4, 1, "b1c2");
  const auto y1 = b.node(OpKind::Relu, {b.node(OpKind::Add, {t, x})});
  auto u = b.node(OpKind::Relu, {conv_bn(b, y1, 4, 8, 2, "b2c1")});
  u = conv_bn(b, u, 8, 8, 1, "b2c2");
  const auto shortcut = conv_bn(b, y1, 4, 8, 2, "b2down");
  b.output(b.node(OpKind::Relu, {b.node(OpKind::Add, {u, shortcut})}));
  return b.finish();
}

TEST(FuseConvAdd, ResidualBlocksBecomeFusedConvsOnly) {
  ir::Graph g = resnet_blocks();
  const ir::Graph original = g;
  passes::PassOptions o;
  o.evaluate = rt::evaluate_node;
  const passes::PassLog log = passes::optimize(g, o);
  const std::vector<std::string> want = {
      "fuse_conv_bn: 5 BatchNormalization folded",
      "fuse_conv_activation: 5 Conv to FusedConv, 2 activations fused",
      "fuse_conv_add: 2 residual Add fused as Sum",
      "fuse_conv_activation: 0 Conv to FusedConv, 2 activations fused",
  };
  EXPECT_EQ(log, want);
  EXPECT_EQ(g.live_node_count(), 5u);
  EXPECT_EQ(count_ops(g, OpKind::FusedConv), 5);
  int with_sum = 0;
  for (const ir::Node& n : g.nodes)
    if (n.input(3) != ir::kNoValue) {
      ++with_sum;
      EXPECT_EQ(n.attr_string("activation", ""), "Relu") << n.name;
    }
  EXPECT_EQ(with_sum, 2);
  EXPECT_EQ(g.value(g.outputs[0]).name, original.value(original.outputs[0]).name);
  testing::expect_same_numbers(g, original);
}

TEST(FuseConvAdd, BroadcastingOrActivatedConvsStay) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {1, 4, 4, 4});
  const auto c1 = b.node(OpKind::FusedConv, {x, b.random("w1", {4, 4, 1, 1})});
  b.output(b.node(OpKind::Add, {c1, b.random("bias", {4, 1, 1})}));  // broadcasts
  const auto c2 = b.node(OpKind::FusedConv, {x, b.random("w2", {4, 4, 1, 1})},
                         {{"activation", Attribute::make_string("Relu")}});
  b.output(b.node(OpKind::Add, {c2, x}));  // relu(conv) + x is not conv + x then relu
  ir::Graph g = b.finish();
  EXPECT_EQ(passes::fuse_conv_add(g, {}), "");
}

TEST(Pipeline, FuseOffRunsOnlyCleanupAndLogsNothingForUnchangedGraphs) {
  ir::Graph g = resnet_blocks();
  passes::PassOptions o;
  o.fuse = false;
  EXPECT_TRUE(passes::optimize(g, o).empty());
  EXPECT_EQ(count_ops(g, OpKind::BatchNormalization), 5);
}

}  // namespace
}  // namespace octet
