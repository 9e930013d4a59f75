// fuse_conv_activation: Conv -> FusedConv, single activations, Clip in both opset forms, the
// Swish and erf-GELU patterns; convs read elsewhere keep their activation apart.
#include <gtest/gtest.h>

#include <cmath>

#include "passes/graph_eval.hpp"
#include "passes/passes.hpp"

namespace octet {
namespace {

using ir::Attribute;
using ir::OpKind;
using testing::count_ops;

ir::ValueId conv(testing::GraphBuilder& b, ir::ValueId x, const std::string& name) {
  return b.node(OpKind::Conv, {x, b.random(name + ".w", {4, 4, 3, 3}), b.random(name + ".b", {4})},
                {{"pads", Attribute::make_ints({1, 1, 1, 1})}}, name);
}

std::map<std::string, std::string> activations(const ir::Graph& g) {
  std::map<std::string, std::string> r;
  for (const ir::Node& n : g.nodes)
    if (!n.dead && (n.op == OpKind::FusedConv || n.op == OpKind::FullyConnected))
      r[n.name] = n.attr_string("activation", "");
  return r;
}

TEST(FuseConvActivation, SingleActivationsAndSwish) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {1, 4, 5, 5});
  auto t = b.node(OpKind::Relu, {conv(b, x, "c1")});
  t = b.node(OpKind::Clip, {conv(b, t, "c2"), b.floats("lo", {}, {0.0f}), b.floats("hi", {}, {0.5f})});
  t = b.node(OpKind::LeakyRelu, {conv(b, t, "c3")}, {{"alpha", Attribute::make_float(0.2f)}});
  t = b.node(OpKind::HardSigmoid, {conv(b, t, "c4")});
  t = b.node(OpKind::HardSwish, {conv(b, t, "c5")});
  const auto c6 = conv(b, t, "c6");
  t = b.node(OpKind::Mul, {b.node(OpKind::Sigmoid, {c6}), c6});  // Swish, operands swapped
  const auto c7 = conv(b, t, "c7");  // read twice: stays without activation
  b.output(b.node(OpKind::Tanh, {c7}));
  b.output(c7);
  ir::Graph g = b.finish();
  const ir::Graph original = g;
  EXPECT_EQ(passes::fuse_conv_activation(g, {}), "7 Conv to FusedConv, 6 activations fused");
  g.compact();
  ir::verify(g);
  const std::map<std::string, std::string> want = {{"c1", "Relu"}, {"c2", "Clip"}, {"c3", "LeakyRelu"},
                                                   {"c4", "HardSigmoid"}, {"c5", "HardSwish"}, {"c6", "Swish"},
                                                   {"c7", ""}};
  EXPECT_EQ(activations(g), want);
  EXPECT_EQ(g.live_node_count(), 8u);  // 7 FusedConv + Tanh
  testing::expect_same_numbers(g, original);
}

TEST(FuseConvActivation, ClipAttributesBeforeOpset11) {
  testing::GraphBuilder b(9);
  const auto x = b.input("x", {1, 4, 5, 5});
  b.output(b.node(OpKind::Clip, {conv(b, x, "c")},
                  {{"min", Attribute::make_float(-0.25f)}, {"max", Attribute::make_float(0.75f)}}));
  ir::Graph g = b.finish();
  const ir::Graph original = g;
  passes::fuse_conv_activation(g, {});
  g.compact();
  ASSERT_EQ(g.live_node_count(), 1u);
  EXPECT_EQ(g.nodes[0].attr_string("activation", ""), "Clip");
  EXPECT_FLOAT_EQ(g.nodes[0].attr_float("alpha", 0), -0.25f);
  EXPECT_FLOAT_EQ(g.nodes[0].attr_float("beta", 0), 0.75f);
  testing::expect_same_numbers(g, original);
}

TEST(FuseConvActivation, ErfGeluAfterFullyConnectedBothForms) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {2, 3, 6});
  for (int form = 0; form < 2; ++form) {
    const std::string n = "fc" + std::to_string(form);
    const auto t = b.node(OpKind::FullyConnected, {x, b.random(n + ".w", {6, 6}), b.random(n + ".b", {6})}, {}, n);
    const auto d = b.node(OpKind::Div, {t, b.floats(n + ".sqrt2", {}, {static_cast<float>(std::sqrt(2.0))})});
    const auto one = b.node(OpKind::Add, {b.node(OpKind::Erf, {d}), b.floats(n + ".one", {}, {1.0f})});
    if (form == 0)  // PyTorch: (x * (1 + erf)) * 0.5
      b.output(b.node(OpKind::Mul, {b.node(OpKind::Mul, {t, one}), b.floats(n + ".half", {}, {0.5f})}));
    else  // (x * 0.5) * (1 + erf)
      b.output(b.node(OpKind::Mul, {b.node(OpKind::Mul, {t, b.floats(n + ".half", {}, {0.5f})}), one}));
  }
  ir::Graph g = b.finish();
  const ir::Graph original = g;
  EXPECT_EQ(passes::fuse_conv_activation(g, {}), "0 Conv to FusedConv, 2 activations fused");
  g.compact();
  EXPECT_EQ(g.live_node_count(), 2u);
  EXPECT_EQ(activations(g), (std::map<std::string, std::string>{{"fc0", "Gelu"}, {"fc1", "Gelu"}}));
  testing::expect_same_numbers(g, original);
}

}  // namespace
}  // namespace octet
