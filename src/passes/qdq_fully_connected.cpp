// Matrix products with quantized inputs and constant int8 weights become QFullyConnected:
/*
   x_q -> DQ --\                                   x_q --\
   w_i8 -> DQ --> Gemm(transB) -> [act] -> [Q]      w_i8' --> QFullyConnected -> y_q / y
   b_i32 -> DQ -/                                   b_i32 -/
   x_q -> DQ --> MatMul -> [Add(bias constant)] -> [act] -> [Q]
*/
// QFullyConnected's W is [K, N]; Gemm's transposed B is transposed once here.
#include <cmath>

#include "passes/qdq_rules.hpp"

namespace octet::passes::qdq {
namespace {

struct Parts {
  ir::ValueId bias = ir::kNoValue;    // real bias value (a DQ output or a float constant)
  int64_t w_axis = 1;                 // the weight dim holding N
};

// The bias operand of a MatMul's sole consumer Add, if that Add is a bias Add: the other
// input a float constant or a DQ of int32, with N elements.
ir::ValueId matmul_bias(const Context& ctx, const ir::Node& add, ir::ValueId matmul_out, int64_t n) {
  if (add.op != ir::OpKind::Add || add.inputs.size() != 2) return ir::kNoValue;
  const ir::ValueId other = add.input(0) == matmul_out ? add.input(1) : add.input(0);
  if (other == matmul_out) return ir::kNoValue;
  const ir::Value& v = ctx.graph.value(other);
  if (!v.has_shape || v.shape.size() != 1 || v.shape[0] != n) return ir::kNoValue;
  if (const Tensor* t = ctx.graph.constant(other); t && t->dtype == DType::kFloat32) return other;
  const ir::NodeId dq = ctx.producer_of(other, ir::OpKind::DequantizeLinear);
  if (dq != ir::kNoNode && bias_params(ctx.graph, ctx.node(dq))) return other;
  return ir::kNoValue;
}

std::optional<Parts> parts_of(const Context& ctx, const ir::Node& node) {
  Parts p;
  if (node.op == ir::OpKind::Gemm) {
    if (node.attr_int("transA", 0) != 0 || node.attr_float("alpha", 1.0f) != 1.0f) return std::nullopt;
    if (node.input(2) != ir::kNoValue && node.attr_float("beta", 1.0f) != 1.0f) return std::nullopt;
    p.w_axis = node.attr_int("transB", 0) != 0 ? 0 : 1;
    p.bias = node.input(2);
  } else if (node.op != ir::OpKind::MatMul) {
    return std::nullopt;
  }
  return p;
}

}  // namespace

std::optional<NodeGroup> select_fully_connected(const Context& ctx, ir::NodeId n) {
  const ir::Node& node = ctx.node(n);
  auto parts = parts_of(ctx, node);
  if (!parts) return std::nullopt;
  NodeGroup g;
  g.target = n;
  g.dq.assign(3, ir::kNoNode);
  g.dq[0] = ctx.producer_of(node.input(0), ir::OpKind::DequantizeLinear);
  g.dq[1] = ctx.producer_of(node.input(1), ir::OpKind::DequantizeLinear);
  if (g.dq[0] == ir::kNoNode || g.dq[1] == ir::kNoNode) return std::nullopt;
  if (!per_tensor_params(ctx.graph, ctx.node(g.dq[0]))) return std::nullopt;
  const ir::Value& x = ctx.graph.value(node.input(0));
  if (!x.has_shape || x.shape.size() < 2 || (node.op == ir::OpKind::Gemm && x.shape.size() != 2)) return std::nullopt;
  const auto w = weight_params(ctx.graph, ctx.node(g.dq[1]), parts->w_axis);
  if (!w || ctx.graph.constant(w->value)->shape.size() != 2) return std::nullopt;
  const int64_t n_out = ctx.graph.constant(w->value)->shape[static_cast<size_t>(parts->w_axis)];
  ir::ValueId out = node.outputs[0];
  if (node.op == ir::OpKind::MatMul) {
    const ir::NodeId user = ctx.sole_consumer(out);
    if (user != ir::kNoNode && matmul_bias(ctx, ctx.node(user), out, n_out) != ir::kNoValue) {
      g.bias_add = user;
      out = ctx.node(user).outputs[0];
    }
  } else if (parts->bias != ir::kNoValue) {
    const Tensor* real = ctx.graph.constant(parts->bias);
    const ir::NodeId dq = ctx.producer_of(parts->bias, ir::OpKind::DequantizeLinear);
    const bool float_bias = real && real->dtype == DType::kFloat32 && real->numel() == n_out;
    const bool int_bias = dq != ir::kNoNode && bias_params(ctx.graph, ctx.node(dq)) &&
                          ctx.graph.constant(ctx.node(dq).input(0))->numel() == n_out;
    if (!float_bias && !int_bias) return std::nullopt;
    g.dq[2] = dq;
  }
  match_output(ctx, out, fusable_after(node.op), g);
  return g;
}

void make_qfully_connected(Context& ctx, const NodeGroup& g) {
  const ir::Node node = ctx.node(g.target);
  const Parts parts = *parts_of(ctx, node);
  const QParams x = *per_tensor_params(ctx.graph, ctx.node(g.dq[0]));
  const WeightParams w = *weight_params(ctx.graph, ctx.node(g.dq[1]), parts.w_axis);
  const Tensor& w_data = *ctx.graph.constant(w.value);
  const int64_t n_out = w_data.shape[static_cast<size_t>(parts.w_axis)];
  ir::ValueId weights = w.value;
  if (parts.w_axis == 0) {  // [N, K] -> [K, N]
    const int64_t k = w_data.shape[1];
    Tensor t(DType::kInt8, {k, n_out});
    for (int64_t r = 0; r < n_out; ++r)
      for (int64_t c = 0; c < k; ++c) t.data<int8_t>()[c * n_out + r] = w_data.data<int8_t>()[r * k + c];
    weights = ctx.graph.add_constant(node.name + "/weight_kn", std::move(t));
  }
  // The bias: Gemm's C, or the other operand of MatMul's bias Add (which then dies too).
  ir::ValueId bias = parts.bias;
  ir::ValueId float_output = node.outputs[0];
  if (g.bias_add != ir::kNoNode) {
    bias = matmul_bias(ctx, ctx.node(g.bias_add), node.outputs[0], n_out);
    float_output = ctx.node(g.bias_add).outputs[0];
  }
  const ir::NodeId dq_bias = ctx.producer_of(bias, ir::OpKind::DequantizeLinear);
  ir::ValueId acc_bias = ir::kNoValue;
  if (bias != ir::kNoValue) {
    Tensor f(DType::kFloat32, {n_out});
    bool exact = dq_bias != ir::kNoNode;
    const BiasParams b = dq_bias != ir::kNoNode ? *bias_params(ctx.graph, ctx.node(dq_bias)) : BiasParams{};
    for (int64_t i = 0; i < n_out; ++i) {
      const float scale_acc = x.scale * w.scales[w.scales.size() == 1 ? 0 : static_cast<size_t>(i)];
      float real;
      if (dq_bias != ir::kNoNode) {
        const float s = b.scales[b.scales.size() == 1 ? 0 : static_cast<size_t>(i)];
        exact = exact && std::fabs(s - scale_acc) <= 1e-6f * scale_acc;
        real = static_cast<float>(ctx.graph.constant(b.value)->data<int32_t>()[i]) * s;
      } else {
        real = ctx.graph.constant(bias)->data<float>()[i];
      }
      f.data<float>()[i] = real / scale_acc;
    }
    acc_bias = exact ? b.value : ctx.graph.add_constant(node.name + "/bias_acc", std::move(f));
  }
  ir::Node fc;
  fc.op = ir::OpKind::QFullyConnected;
  fc.name = node.name;
  fc.attrs["scale_x"] = ir::Attribute::make_float(x.scale);
  fc.attrs["zero_point_x"] = ir::Attribute::make_int(x.zero_point);
  fc.attrs["scale_w"] = ir::Attribute::make_floats(w.scales);
  if (g.activation != ir::kNoNode) copy_activation(ctx.graph, ctx.node(g.activation), fc);
  fc.inputs = {ctx.node(g.dq[0]).input(0), weights, acc_bias};
  fc.outputs = {set_output_quantization(ctx, g, float_output, fc)};
  replace_group(ctx, g, std::move(fc));
}

}  // namespace octet::passes::qdq
