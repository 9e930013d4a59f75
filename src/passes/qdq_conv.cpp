// Convolutions with quantized inputs become QConv:
/*
   x_q -> DQ --\                                  x_q ----\
   w_i8 -> DQ --> Conv/FusedConv -> [Relu] -> Q    w_i8 ----> QConv -> y_q
   b_i32 -> DQ -/        (Sum?)                    b_i32 ---/  (Sum?)
*/
// The output side is optional: a Conv whose output feeds float consumers becomes a QConv with
// a float32 output. A FusedConv's float Sum stays a float32 residual of a float32 output; a
// Sum from a DequantizeLinear is read quantized.
#include <cmath>

#include "passes/qdq_rules.hpp"

namespace octet::passes::qdq {
namespace {

const char* const kConvAttrs[] = {"kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"};

// The bias in accumulator units (real / (scale_x * scale_w[m])): the int32 constant itself
// when its scales are the product the int8 kernels accumulate in (ONNX Runtime's convention),
// else float32 values.
ir::ValueId accumulator_bias(Context& ctx, const ir::Node& node, ir::NodeId dq_bias, ir::ValueId bias,
                             float scale_x, const std::vector<float>& scale_w, int64_t channels) {
  if (bias == ir::kNoValue) return ir::kNoValue;
  auto scale_acc = [&](int64_t m) { return scale_x * scale_w[scale_w.size() == 1 ? 0 : static_cast<size_t>(m)]; };
  if (dq_bias != ir::kNoNode) {
    const BiasParams b = *bias_params(ctx.graph, ctx.node(dq_bias));
    const Tensor& ints = *ctx.graph.constant(b.value);
    bool exact = true;
    for (int64_t m = 0; m < channels; ++m) {
      const float s = b.scales[b.scales.size() == 1 ? 0 : static_cast<size_t>(m)];
      exact = exact && std::fabs(s - scale_acc(m)) <= 1e-6f * scale_acc(m);
    }
    if (exact) return b.value;
    Tensor f(DType::kFloat32, {channels});
    for (int64_t m = 0; m < channels; ++m)
      f.data<float>()[m] = static_cast<float>(ints.data<int32_t>()[m]) *
                           b.scales[b.scales.size() == 1 ? 0 : static_cast<size_t>(m)] / scale_acc(m);
    return ctx.graph.add_constant(node.name + "/bias_acc", std::move(f));
  }
  const Tensor& real = *ctx.graph.constant(bias);
  Tensor f(DType::kFloat32, {channels});
  for (int64_t m = 0; m < channels; ++m) f.data<float>()[m] = real.data<float>()[m] / scale_acc(m);
  return ctx.graph.add_constant(node.name + "/bias_acc", std::move(f));
}

}  // namespace

std::optional<NodeGroup> select_conv(const Context& ctx, ir::NodeId n) {
  const ir::Node& conv = ctx.node(n);
  NodeGroup g;
  g.target = n;
  g.dq.assign(4, ir::kNoNode);
  g.dq[0] = ctx.producer_of(conv.input(0), ir::OpKind::DequantizeLinear);
  g.dq[1] = ctx.producer_of(conv.input(1), ir::OpKind::DequantizeLinear);
  if (g.dq[0] == ir::kNoNode || g.dq[1] == ir::kNoNode) return std::nullopt;
  if (!per_tensor_params(ctx.graph, ctx.node(g.dq[0]))) return std::nullopt;
  const auto w = weight_params(ctx.graph, ctx.node(g.dq[1]), 0);
  if (!w) return std::nullopt;
  const int64_t channels = ctx.graph.constant(w->value)->shape[0];
  if (const ir::ValueId b = conv.input(2); b != ir::kNoValue) {
    g.dq[2] = ctx.producer_of(b, ir::OpKind::DequantizeLinear);
    const Tensor* real = ctx.graph.constant(b);
    const bool float_bias = real && real->dtype == DType::kFloat32 && real->numel() == channels;
    const bool int_bias = g.dq[2] != ir::kNoNode && bias_params(ctx.graph, ctx.node(g.dq[2])) &&
                          ctx.graph.constant(ctx.node(g.dq[2]).input(0))->numel() == channels;
    if (!float_bias && !int_bias) return std::nullopt;
  }
  const bool has_activation = ir::has_fused_activation(conv);
  match_output(ctx, conv.outputs[0], has_activation ? ir::qdq::FusedActivations::kNone : fusable_after(conv.op), g);
  if (const ir::ValueId sum = conv.input(3); sum != ir::kNoValue) {
    g.dq[3] = ctx.producer_of(sum, ir::OpKind::DequantizeLinear);
    const bool quantized_sum = g.dq[3] != ir::kNoNode && per_tensor_params(ctx.graph, ctx.node(g.dq[3]));
    if (!quantized_sum) g.dq[3] = ir::kNoNode;
    // A quantized output needs a quantized residual and a float32 output a float32 one.
    if (g.q != ir::kNoNode && !quantized_sum) g.q = g.activation = ir::kNoNode;
    if (g.q == ir::kNoNode && ctx.graph.value(sum).dtype != DType::kFloat32) return std::nullopt;
    if (g.q == ir::kNoNode) g.dq[3] = ir::kNoNode;
  }
  return g;
}

void make_qconv(Context& ctx, const NodeGroup& g) {
  const ir::Node conv = ctx.node(g.target);  // a copy: adding nodes may move the vector
  const QParams x = *per_tensor_params(ctx.graph, ctx.node(g.dq[0]));
  const WeightParams w = *weight_params(ctx.graph, ctx.node(g.dq[1]), 0);
  const int64_t channels = ctx.graph.constant(w.value)->shape[0];
  ir::Node q;
  q.op = ir::OpKind::QConv;
  q.name = conv.name;
  for (const char* key : kConvAttrs)
    if (conv.has_attr(key)) q.attrs[key] = conv.attrs.at(key);
  for (const char* key : {"activation", "alpha", "beta"})
    if (conv.has_attr(key)) q.attrs[key] = conv.attrs.at(key);
  if (g.activation != ir::kNoNode) copy_activation(ctx.graph, ctx.node(g.activation), q);
  q.attrs["scale_x"] = ir::Attribute::make_float(x.scale);
  q.attrs["zero_point_x"] = ir::Attribute::make_int(x.zero_point);
  q.attrs["scale_w"] = ir::Attribute::make_floats(w.scales);
  const ir::ValueId bias = accumulator_bias(ctx, conv, g.dq[2], conv.input(2), x.scale, w.scales, channels);
  q.inputs = {ctx.node(g.dq[0]).input(0), w.value, bias};
  if (conv.input(3) != ir::kNoValue) {
    if (g.dq[3] != ir::kNoNode) {
      const QParams s = *per_tensor_params(ctx.graph, ctx.node(g.dq[3]));
      q.attrs["scale_sum"] = ir::Attribute::make_float(s.scale);
      q.attrs["zero_point_sum"] = ir::Attribute::make_int(s.zero_point);
      q.inputs.push_back(ctx.node(g.dq[3]).input(0));
    } else {
      q.inputs.push_back(conv.input(3));
    }
  }
  q.outputs = {set_output_quantization(ctx, g, conv.outputs[0], q)};
  replace_group(ctx, g, std::move(q));
}

}  // namespace octet::passes::qdq
