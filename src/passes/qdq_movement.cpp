// Ops that only move or select elements run on the quantized tensor:
//
//   x_q -> DQ -> Reshape/Flatten/Squeeze/Unsqueeze/Identity/MaxPool -> y
//     =>  x_q -> Reshape... -> y_q -> DQ -> y          (Concat: every input equally quantized)
//
// and a QuantizeLinear that re-quantizes a DequantizeLinear with the same parameters cancels:
//
//   y_q -> DQ -> Q -> z_q   =>   z_q := y_q
//
// Together they leave DQ -> MaxPool -> Q (ONNX Runtime's form) as MaxPool on uint8, and let a
// DQ -> Flatten -> Gemm chain present Gemm with a DequantizeLinear input.
#include "passes/qdq_rules.hpp"

namespace octet::passes::qdq {

std::optional<NodeGroup> select_q_of_dq(const Context& ctx, ir::NodeId n) {
  const ir::Node& q = ctx.node(n);
  const ir::NodeId dq = ctx.producer_of(q.input(0), ir::OpKind::DequantizeLinear);
  if (dq == ir::kNoNode || ctx.uses.is_output(q.outputs[0])) return std::nullopt;
  const auto pq = per_tensor_params(ctx.graph, q);
  const auto pdq = per_tensor_params(ctx.graph, ctx.node(dq));
  if (!pq || !pdq || !(*pq == *pdq)) return std::nullopt;
  NodeGroup g;
  g.dq = {dq};
  g.target = n;
  return g;
}

void drop_q_of_dq(Context& ctx, const NodeGroup& g) {
  const ir::ValueId from = ctx.node(g.target).outputs[0];
  const ir::ValueId to = ctx.node(g.dq[0]).input(0);
  ctx.node(g.target).dead = true;
  ctx.uses.update({g.target});
  ctx.uses.replace_uses(ctx.graph, from, to);
  ++ctx.rewrites;
}

std::optional<NodeGroup> select_movement(const Context& ctx, ir::NodeId n) {
  const ir::Node& node = ctx.node(n);
  if (node.outputs.empty() || node.outputs[0] == ir::kNoValue) return std::nullopt;
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (node.outputs[i] != ir::kNoValue && !ctx.uses.of(node.outputs[i]).empty())
      return std::nullopt;  // MaxPool's Indices in use
  const size_t data_inputs = node.op == ir::OpKind::Concat ? node.inputs.size() : 1;
  if (data_inputs == 0) return std::nullopt;
  NodeGroup g;
  g.target = n;
  std::optional<QParams> first;
  for (size_t i = 0; i < data_inputs; ++i) {
    const ir::NodeId dq = ctx.producer_of(node.input(i), ir::OpKind::DequantizeLinear);
    if (dq == ir::kNoNode) return std::nullopt;
    const auto p = per_tensor_params(ctx.graph, ctx.node(dq));
    if (!p || (first && !(*p == *first))) return std::nullopt;
    first = p;
    g.dq.push_back(dq);
  }
  const ir::Value& out = ctx.graph.value(node.outputs[0]);
  if (!out.has_shape) return std::nullopt;
  return g;
}

void sink_dq_below(Context& ctx, const NodeGroup& g) {
  const ir::Node node = ctx.node(g.target);
  const ir::Node dq = ctx.node(g.dq[0]);
  const ir::ValueId y = node.outputs[0];
  ir::Value y_q = ctx.graph.value(y);
  y_q.name = ctx.graph.unique_value_name(y_q.name + "_quantized");
  y_q.dtype = ctx.graph.value(dq.input(0)).dtype;
  y_q.producer = ir::kNoNode;
  y_q.data = nullptr;
  const ir::ValueId y_q_id = ctx.graph.add_value(std::move(y_q));

  ir::Node moved = node;
  for (size_t i = 0; i < g.dq.size(); ++i) moved.inputs[i] = ctx.node(g.dq[i]).input(0);
  moved.outputs = {y_q_id};  // MaxPool's unused Indices dropped
  ir::Node dequantize;
  dequantize.op = ir::OpKind::DequantizeLinear;
  dequantize.name = ctx.graph.unique_node_name(node.name + "/dequantize");
  dequantize.inputs = {y_q_id, dq.input(1), dq.input(2)};
  dequantize.outputs = {y};
  ctx.node(g.target).dead = true;
  const ir::NodeId moved_id = ctx.graph.add_node(std::move(moved));
  const ir::NodeId dequantize_id = ctx.graph.add_node(std::move(dequantize));
  ctx.uses.update({g.target, moved_id, dequantize_id});
  ++ctx.rewrites;
}

}  // namespace octet::passes::qdq
