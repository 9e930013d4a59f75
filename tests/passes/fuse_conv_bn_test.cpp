// fuse_conv_bn: BatchNormalization folds into Conv, ConvTranspose (grouped), Gemm (transB) and
// FullyConnected; shared weights are not changed; the numbers stay.
#include <gtest/gtest.h>

#include "passes/graph_eval.hpp"
#include "passes/passes.hpp"

namespace octet {
namespace {

using ir::Attribute;
using ir::OpKind;
using testing::count_ops;

// BN over `c` channels with random statistics.
ir::ValueId batch_norm(testing::GraphBuilder& b, ir::ValueId x, int64_t c, const std::string& name) {
  return b.node(OpKind::BatchNormalization,
                {x, b.random(name + ".scale", {c}, 0.5f, 1.5f), b.random(name + ".bias", {c}),
                 b.random(name + ".mean", {c}), b.random(name + ".var", {c}, 0.1f, 2.0f)},
                {{"epsilon", Attribute::make_float(1e-3f)}}, name);
}

TEST(FuseConvBn, ConvAndGroupedConvTransposeAbsorbTheirBn) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {1, 4, 6, 6});
  const auto conv = b.node(OpKind::Conv, {x, b.random("w", {6, 4, 3, 3}), b.random("b", {6})},
                           {{"pads", Attribute::make_ints({1, 1, 1, 1})}});
  const auto y = batch_norm(b, conv, 6, "bn1");
  // ConvTranspose: W [C_in=6, C_out/group=2, 2, 2], group 3 -> 6 output channels; no bias.
  const auto up = b.node(OpKind::ConvTranspose, {y, b.random("wt", {6, 2, 2, 2})},
                         {{"group", Attribute::make_int(3)}, {"strides", Attribute::make_ints({2, 2})}});
  b.output(batch_norm(b, up, 6, "bn2"));
  ir::Graph g = b.finish();
  const ir::Graph original = g;
  EXPECT_EQ(passes::fuse_conv_bn(g, {}), "2 BatchNormalization folded");
  g.compact();
  ir::verify(g);
  EXPECT_EQ(count_ops(g, OpKind::BatchNormalization), 0);
  EXPECT_EQ(g.live_node_count(), 2u);
  EXPECT_EQ(g.value(g.outputs[0]).name, original.value(original.outputs[0]).name);
  testing::expect_same_numbers(g, original);
}

TEST(FuseConvBn, GemmAndFullyConnected) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {3, 8});
  const auto gemm = b.node(OpKind::Gemm, {x, b.random("wg", {5, 8}), b.random("cg", {1, 5})},
                           {{"transB", Attribute::make_int(1)}, {"alpha", Attribute::make_float(0.7f)},
                            {"beta", Attribute::make_float(1.5f)}});
  const auto y = batch_norm(b, gemm, 5, "bn1");
  const auto fc = b.node(OpKind::FullyConnected, {y, b.random("wf", {5, 4})});
  b.output(batch_norm(b, fc, 4, "bn2"));
  ir::Graph g = b.finish();
  const ir::Graph original = g;
  EXPECT_EQ(passes::fuse_conv_bn(g, {}), "2 BatchNormalization folded");
  g.compact();
  EXPECT_EQ(count_ops(g, OpKind::BatchNormalization), 0);
  testing::expect_same_numbers(g, original);
}

TEST(FuseConvBn, SharedWeightsAndOtherReadersAreLeftAlone) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {1, 2, 4, 4});
  const auto w = b.random("w", {2, 2, 1, 1});
  const auto c1 = b.node(OpKind::Conv, {x, w});
  const auto c2 = b.node(OpKind::Conv, {x, w});
  b.output(batch_norm(b, c1, 2, "bn1"));
  b.output(c2);
  // A conv whose output is also read elsewhere keeps its BN.
  const auto c3 = b.node(OpKind::Conv, {x, b.random("w3", {2, 2, 1, 1})});
  b.output(batch_norm(b, c3, 2, "bn3"));
  b.output(b.node(OpKind::Relu, {c3}));
  ir::Graph g = b.finish();
  const ir::Graph original = g;
  const std::vector<uint8_t> w_bytes = g.constant(w)->bytes;
  EXPECT_EQ(passes::fuse_conv_bn(g, {}), "1 BatchNormalization folded");
  EXPECT_EQ(g.constant(w)->bytes, w_bytes);
  EXPECT_EQ(count_ops(g, OpKind::BatchNormalization), 1);
  g.compact();
  testing::expect_same_numbers(g, original);
}

}  // namespace
}  // namespace octet
