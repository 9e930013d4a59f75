// Average pools of a quantized tensor become QAveragePool:
//
//   x_q -> DQ -> AveragePool/GlobalAveragePool -> [Q]   =>   x_q -> QAveragePool -> y_q / y
//
// The mean is computed exactly in integers and requantized once, so scales may differ between
// input and output (unlike MaxPool, which needs none of this).
#include "passes/qdq_rules.hpp"

namespace octet::passes::qdq {

std::optional<NodeGroup> select_average_pool(const Context& ctx, ir::NodeId n) {
  const ir::Node& pool = ctx.node(n);
  NodeGroup g;
  g.target = n;
  g.dq = {ctx.producer_of(pool.input(0), ir::OpKind::DequantizeLinear)};
  if (g.dq[0] == ir::kNoNode || !per_tensor_params(ctx.graph, ctx.node(g.dq[0]))) return std::nullopt;
  for (int64_t d : pool.attr_ints("dilations"))
    if (d != 1) return std::nullopt;
  const ir::Value& x = ctx.graph.value(pool.input(0));
  if (!x.has_shape || x.shape.size() < 3 || x.shape.size() > 5) return std::nullopt;
  match_output(ctx, pool.outputs[0], fusable_after(pool.op), g);
  return g;
}

void make_qaverage_pool(Context& ctx, const NodeGroup& g) {
  const ir::Node pool = ctx.node(g.target);
  const QParams x = *per_tensor_params(ctx.graph, ctx.node(g.dq[0]));
  ir::Node q;
  q.op = ir::OpKind::QAveragePool;
  q.name = pool.name;
  for (const char* key : {"kernel_shape", "strides", "pads", "ceil_mode", "count_include_pad", "auto_pad"})
    if (pool.has_attr(key)) q.attrs[key] = pool.attrs.at(key);
  if (pool.op == ir::OpKind::GlobalAveragePool) q.attrs["global"] = ir::Attribute::make_int(1);
  q.attrs["scale_x"] = ir::Attribute::make_float(x.scale);
  q.attrs["zero_point_x"] = ir::Attribute::make_int(x.zero_point);
  q.inputs = {ctx.node(g.dq[0]).input(0)};
  q.outputs = {set_output_quantization(ctx, g, pool.outputs[0], q)};
  replace_group(ctx, g, std::move(q));
}

}  // namespace octet::passes::qdq
