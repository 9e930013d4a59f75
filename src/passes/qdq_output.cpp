// The output side every fold_qdq action shares: an activation and a QuantizeLinear after the
// matched op become attributes of the INT8 node, which then writes the Q's output value
// directly (so quantized values keep their ids through the pass).
#include <limits>

#include "passes/qdq_rules.hpp"

namespace octet::passes::qdq {
namespace {

// Clip's bound from input i (opset >= 11) or attribute `key` (older opsets); nullopt when the
// bound is given but not a constant scalar.
std::optional<float> clip_bound(const ir::Graph& graph, const ir::Node& clip, size_t i, const char* key,
                                float fallback) {
  if (clip.has_attr(key)) return clip.attr_float(key, fallback);
  const ir::ValueId v = clip.input(i);
  if (v == ir::kNoValue) return fallback;
  const Tensor* t = graph.constant(v);
  if (!t || t->numel() != 1 || t->dtype != DType::kFloat32) return std::nullopt;
  return t->data<float>()[0];
}

bool fusable_activation(const ir::Graph& graph, const ir::Node& node, ir::qdq::FusedActivations fusable) {
  if (!ir::qdq::fuses(fusable, node.op)) return false;
  return node.op != ir::OpKind::Clip ||
         (clip_bound(graph, node, 1, "min", 0.0f).has_value() && clip_bound(graph, node, 2, "max", 0.0f).has_value());
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
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (activation.op) {
    case ir::OpKind::Relu:
      node.attrs["activation"] = ir::Attribute::make_string("Relu");
      break;
    case ir::OpKind::LeakyRelu:
      node.attrs["activation"] = ir::Attribute::make_string("LeakyRelu");
      node.attrs["alpha"] = ir::Attribute::make_float(activation.attr_float("alpha", 0.01f));
      break;
    case ir::OpKind::Clip:
      node.attrs["activation"] = ir::Attribute::make_string("Clip");
      node.attrs["alpha"] = ir::Attribute::make_float(*clip_bound(graph, activation, 1, "min", -kInf));
      node.attrs["beta"] = ir::Attribute::make_float(*clip_bound(graph, activation, 2, "max", kInf));
      break;
    default: break;
  }
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
