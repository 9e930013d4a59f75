// The output side every fold_qdq action shares: an activation and a QuantizeLinear after the
// matched op become attributes of the INT8 node, which then writes the Q's output value
// directly (so quantized values keep their ids through the pass).
#include "passes/pass_util.hpp"
#include "passes/qdq_rules.hpp"

namespace octet::passes::qdq {
namespace {

// An activation the row fuses, with constant parameters (passes::activation_of).
bool fusable_activation(const ir::Graph& graph, const ir::Node& node, ir::qdq::FusedActivations fusable) {
  return ir::qdq::fuses(fusable, node.op) && activation_of(graph, node).has_value();
}

}  // namespace

ir::qdq::FusedActivations fusable_after(ir::OpKind op) {
  const ir::qdq::Int8Pattern* row = ir::qdq::int8_pattern_of(op);
  return row ? row->fuses : ir::qdq::FusedActivations::kNone;
}

void match_output(const Context& ctx, ir::ValueId output, ir::qdq::FusedActivations fusable, NodeGroup& group) {
  group.activation = group.q = ir::kNoNode;
  ir::NodeId user = ctx.sole_consumer(output);
  if (user == ir::kNoNode) return;
  if (fusable_activation(ctx.graph, ctx.node(user), fusable) && ctx.node(user).input(0) == output) {
    const ir::NodeId next = ctx.sole_consumer(ctx.node(user).outputs[0]);
    if (next == ir::kNoNode || ctx.node(next).op != ir::OpKind::QuantizeLinear) return;
    group.activation = user;
    user = next;
  }
  if (ctx.node(user).op == ir::OpKind::QuantizeLinear && per_tensor_params(ctx.graph, ctx.node(user)))
    group.q = user;
  else
    group.activation = ir::kNoNode;
}

void copy_activation(const ir::Graph& graph, const ir::Node& activation, ir::Node& node) {
  ir::write_fused_activation(*activation_of(graph, activation), node);
}

ir::ValueId set_output_quantization(const Context& ctx, const NodeGroup& group, ir::ValueId float_output,
                                    ir::Node& node) {
  if (group.q == ir::kNoNode) {
    node.attrs["dtype_y"] = ir::Attribute::make_string("float32");
    return float_output;
  }
  const ir::Node& q = ctx.node(group.q);
  const QParams p = *per_tensor_params(ctx.graph, q);
  node.attrs["scale_y"] = ir::Attribute::make_float(p.scale);
  node.attrs["zero_point_y"] = ir::Attribute::make_int(p.zero_point);
  node.attrs["dtype_y"] = ir::Attribute::make_string(dtype_attr(p.dtype));
  return q.outputs[0];
}

ir::NodeId replace_group(Context& ctx, const NodeGroup& group, ir::Node node) {
  for (ir::NodeId n : {group.target, group.activation, group.q, group.bias_add})
    if (n != ir::kNoNode) ctx.node(n).dead = true;
  const ir::NodeId id = ctx.graph.add_node(std::move(node));
  ctx.uses.update({group.target, group.activation, group.q, group.bias_add, id});
  ++ctx.rewrites;
  return id;
}

}  // namespace octet::passes::qdq
