// Residual Adds of two quantized tensors:
/*
   QConv -> a_q -> DQ --\                         b_q ---------\
             b_q -> DQ --> Add -> [Relu] -> Q  =>  x_q -> QConv(Sum = b_q, Relu) -> y_q
*/
// The QConv producing one addend takes the other as its Sum post-op (oneDNN adds it in the
// accumulator's float domain), which skips the QConv's own output quantization: the result is
// the real sum rounded once, within one step of the QDQ graph's twice-rounded value. The
// clamp that quantization applied to outliers is kept (QConv's range_acc).
// Otherwise the Add becomes QAdd on the two quantized tensors.
#include "passes/qdq_rules.hpp"

namespace octet::passes::qdq {
namespace {

// The QConv producing addend `side` can absorb the Add: its quantized output is read only by
// that DequantizeLinear, which only the Add reads; it has no Sum or activation yet; and the
// other addend does not depend on it.
ir::NodeId fusable_producer(const Context& ctx, const NodeGroup& g, size_t side) {
  const ir::Node& dq = ctx.node(g.dq[side]);
  const ir::Node& other_dq = ctx.node(g.dq[1 - side]);
  const ir::NodeId conv = ctx.producer_of(dq.input(0), ir::OpKind::QConv);
  if (conv == ir::kNoNode) return ir::kNoNode;
  const ir::Node& c = ctx.node(conv);
  if (c.input(3) != ir::kNoValue || ir::has_fused_activation(c)) return ir::kNoNode;
  if (c.attr_string("dtype_y", "") == "float32") return ir::kNoNode;
  if (ctx.sole_consumer(dq.input(0)) != g.dq[side] || ctx.sole_consumer(dq.outputs[0]) != g.target)
    return ir::kNoNode;
  if (depends_on(ctx.graph, other_dq.input(0), conv)) return ir::kNoNode;
  return conv;
}

}  // namespace

std::optional<NodeGroup> select_add(const Context& ctx, ir::NodeId n) {
  const ir::Node& add = ctx.node(n);
  if (add.inputs.size() != 2 || add.input(0) == add.input(1)) return std::nullopt;
  NodeGroup g;
  g.target = n;
  g.dq = {ctx.producer_of(add.input(0), ir::OpKind::DequantizeLinear),
          ctx.producer_of(add.input(1), ir::OpKind::DequantizeLinear)};
  for (ir::NodeId dq : g.dq)
    if (dq == ir::kNoNode || !per_tensor_params(ctx.graph, ctx.node(dq))) return std::nullopt;
  const ir::Value& a = ctx.graph.value(add.input(0));
  const ir::Value& b = ctx.graph.value(add.input(1));
  if (!a.has_shape || a.shape != b.shape) return std::nullopt;  // no broadcasting residuals
  match_output(ctx, add.outputs[0], fusable_after(add.op), g);  // QAdd and the Sum fusion take Relu only
  return g;
}

void make_residual_add(Context& ctx, const NodeGroup& g) {
  const ir::Node add = ctx.node(g.target);
  const QParams pa = *per_tensor_params(ctx.graph, ctx.node(g.dq[0]));
  const QParams pb = *per_tensor_params(ctx.graph, ctx.node(g.dq[1]));
  if (g.q != ir::kNoNode) {
    // Prefer the later QConv (in the node list): in a downsampling block that is the main
    // branch, whose result is ready last.
    ir::NodeId best = ir::kNoNode;
    size_t best_side = 0;
    for (size_t side = 0; side < 2; ++side) {
      const ir::NodeId conv = fusable_producer(ctx, g, side);
      if (conv != ir::kNoNode && (best == ir::kNoNode || conv > best)) {
        best = conv;
        best_side = side;
      }
    }
    if (best != ir::kNoNode) {
      const QParams other = best_side == 0 ? pb : pa;
      const QParams own = best_side == 0 ? pa : pb;
      ir::Node& conv = ctx.node(best);
      // The conv's own quantization goes away; keep its clamp (calibrated ranges clip outliers).
      const float lo = static_cast<float>(qmin(own.dtype) - own.zero_point) * own.scale;
      const float hi = static_cast<float>(qmax(own.dtype) - own.zero_point) * own.scale;
      conv.attrs["range_acc"] = ir::Attribute::make_floats({lo, hi});
      const ir::ValueId old_output = conv.outputs[0];
      conv.inputs.resize(4, ir::kNoValue);
      conv.inputs[3] = ctx.node(g.dq[1 - best_side]).input(0);
      conv.attrs["scale_sum"] = ir::Attribute::make_float(other.scale);
      conv.attrs["zero_point_sum"] = ir::Attribute::make_int(other.zero_point);
      if (g.activation != ir::kNoNode) copy_activation(ctx.graph, ctx.node(g.activation), conv);
      const ir::ValueId y = set_output_quantization(ctx, g, add.outputs[0], conv);
      conv.outputs[0] = y;
      ctx.graph.value(y).producer = best;
      ctx.graph.value(old_output).producer = ir::kNoNode;
      ctx.node(g.dq[best_side]).dead = true;
      for (ir::NodeId n : {g.target, g.activation, g.q})
        if (n != ir::kNoNode) ctx.node(n).dead = true;
      ctx.uses.update({best, g.dq[best_side], g.target, g.activation, g.q});
      ++ctx.rewrites;
      return;
    }
  }
  ir::Node q;
  q.op = ir::OpKind::QAdd;
  q.name = add.name;
  q.attrs["scale_a"] = ir::Attribute::make_float(pa.scale);
  q.attrs["zero_point_a"] = ir::Attribute::make_int(pa.zero_point);
  q.attrs["scale_b"] = ir::Attribute::make_float(pb.scale);
  q.attrs["zero_point_b"] = ir::Attribute::make_int(pb.zero_point);
  if (g.activation != ir::kNoNode) copy_activation(ctx.graph, ctx.node(g.activation), q);
  q.inputs = {ctx.node(g.dq[0]).input(0), ctx.node(g.dq[1]).input(0)};
  q.outputs = {set_output_quantization(ctx, g, add.outputs[0], q)};
  replace_group(ctx, g, std::move(q));
}

}  // namespace octet::passes::qdq
