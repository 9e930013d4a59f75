// remove_identity and remove_dead_nodes: pass-through nodes go, graph output names stay.
#include <gtest/gtest.h>

#include "passes/graph_eval.hpp"
#include "passes/passes.hpp"

namespace octet {
namespace {

using ir::OpKind;
using testing::count_ops;

TEST(RemoveIdentity, PassThroughChainCollapsesAndOutputKeepsItsName) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {2, 3});
  auto t = b.node(OpKind::Identity, {x});
  t = b.node(OpKind::Relu, {t});
  t = b.node_n(OpKind::Dropout, {t}, 2)[0];  // mask unused
  t = b.node(OpKind::Cast, {t}, {{"to", ir::Attribute::make_int(1)}});
  t = b.node(OpKind::Reshape, {t, b.ints("shape", {2}, {2, 3})});
  t = b.node(OpKind::Identity, {t}, {}, "last");
  b.g.value(t).name = "y";
  b.output(t);
  ir::Graph g = b.finish();
  const ir::Graph original = g;
  EXPECT_EQ(passes::remove_identity(g, {}), "5 pass-through nodes removed");
  g.compact();
  ir::verify(g);
  ASSERT_EQ(g.live_node_count(), 1u);
  EXPECT_EQ(g.nodes[0].op, OpKind::Relu);
  EXPECT_EQ(g.value(g.outputs[0]).name, "y");
  const auto in = testing::random_inputs(original);
  testing::expect_close(testing::evaluate_graph(g, in)[0], testing::evaluate_graph(original, in)[0]);
}

TEST(RemoveIdentity, KeepsWhatIsNotAPassThrough) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {2, 3});
  b.output(b.node(OpKind::Identity, {x}));  // graph input straight to output: keeps both names
  const auto d = b.node_n(OpKind::Dropout, {b.node(OpKind::Relu, {x})}, 2);
  b.output(d[0]);
  b.output(d[1]);  // mask is read
  b.output(b.node(OpKind::Cast, {x}, {{"to", ir::Attribute::make_int(7)}}));  // float -> int64
  b.output(b.node(OpKind::Reshape, {x, b.ints("shape", {1}, {6})}));
  ir::Graph g = b.finish();
  EXPECT_EQ(passes::remove_identity(g, {}), "");
  EXPECT_EQ(g.live_node_count(), 5u);
}

TEST(RemoveDeadNodes, UnreadBranchGoes) {
  testing::GraphBuilder b;
  const auto x = b.input("x", {4});
  b.output(b.node(OpKind::Relu, {x}));
  b.node(OpKind::Tanh, {b.node(OpKind::Sigmoid, {x})});
  b.node_n(OpKind::TopK, {x, b.ints("k", {1}, {2})}, 2);
  ir::Graph g = b.finish();
  EXPECT_EQ(passes::remove_dead_nodes(g, {}), "3 unused nodes removed");
  g.compact();
  ir::verify(g);
  ASSERT_EQ(g.live_node_count(), 1u);
  EXPECT_EQ(g.nodes[0].op, OpKind::Relu);
  EXPECT_EQ(passes::remove_dead_nodes(g, {}), "");
}

}  // namespace
}  // namespace octet
