// QDQ insertion; see insert_qdq.hpp.
#include "quant/transforms/insert_qdq.hpp"

#include <cmath>

#include "octet/error.hpp"
#include "passes/qdq_util.hpp"
#include "onnx/writer.hpp"

namespace octet::quant {
namespace {

Tensor scalar_or_vector(DType dtype, size_t n, bool scalar) {
  return Tensor(dtype, scalar ? Shape{} : Shape{static_cast<int64_t>(n)});
}

Tensor scale_tensor(const std::vector<float>& scale, bool scalar) {
  Tensor t = scalar_or_vector(DType::kFloat32, scale.size(), scalar);
  for (size_t i = 0; i < scale.size(); ++i) t.data<float>()[i] = scale[i];
  return t;
}

Tensor zero_point_tensor(DType dtype, const std::vector<int32_t>& zp, bool scalar) {
  Tensor t = scalar_or_vector(dtype, zp.size(), scalar);
  for (size_t i = 0; i < zp.size(); ++i) {
    if (dtype == DType::kUInt8) t.data<uint8_t>()[i] = static_cast<uint8_t>(zp[i]);
    else if (dtype == DType::kInt8) t.data<int8_t>()[i] = static_cast<int8_t>(zp[i]);
    else t.data<int32_t>()[i] = zp[i];
  }
  return t;
}

ir::ValueId add_activation_value(ir::Graph& g, const std::string& base, DType dtype, const ir::Value& like) {
  ir::Value v;
  v.name = g.unique_value_name(base);
  v.dtype = dtype;
  v.shape = like.shape;
  v.has_shape = like.has_shape;
  v.dim_params = like.dim_params;
  return g.add_value(std::move(v));
}

// data -> DequantizeLinear(scale, zero_point[, axis]) -> a new float value.
ir::ValueId add_dequantize(ir::Graph& g, const std::string& base, ir::ValueId data, ir::ValueId scale, ir::ValueId zp,
                           int axis, const ir::Value& like) {
  ir::Node dq;
  dq.name = g.unique_node_name(base + "_DequantizeLinear");
  dq.op = ir::OpKind::DequantizeLinear;
  dq.inputs = {data, scale};
  if (zp != ir::kNoValue) dq.inputs.push_back(zp);
  if (axis >= 0) dq.attrs["axis"] = ir::Attribute::make_int(axis);
  const ir::ValueId out = add_activation_value(g, base + "_dequantized", DType::kFloat32, like);
  dq.outputs = {out};
  g.add_node(std::move(dq));
  return out;
}

}  // namespace

ir::Graph insert_qdq(const ir::Graph& fp32, const QuantSetup& setup) {
  ir::Graph g = fp32;
  for (const ActivationQuantizer& a : setup.activations) {
    if (a.uses.empty()) continue;
    if (!a.params.valid()) fail("quantizer on '", fp32.value(a.value).name, "' has no parameters");
    const ir::Value like = g.value(a.value);
    const std::string base = like.name;
    const ir::ValueId scale = g.add_constant(base + "_scale", scale_tensor(a.params.scale, true));
    const ir::ValueId zp = g.add_constant(base + "_zero_point", zero_point_tensor(a.params.dtype, a.params.zero_point, true));
    ir::Node q;
    q.name = g.unique_node_name(base + "_QuantizeLinear");
    q.op = ir::OpKind::QuantizeLinear;
    q.inputs = {a.value, scale, zp};
    const ir::ValueId quantized = add_activation_value(g, base + "_quantized", a.params.dtype, like);
    q.outputs = {quantized};
    g.add_node(std::move(q));
    const ir::ValueId dq = add_dequantize(g, base, quantized, scale, zp, -1, like);
    for (const auto& [node, input] : a.uses) g.nodes[static_cast<size_t>(node)].inputs[static_cast<size_t>(input)] = dq;
  }
  for (const LayerQuantizer& layer : setup.layers) {
    if (!layer.quantized || layer.weight_input < 0) continue;
    ir::Node& node = g.nodes[static_cast<size_t>(layer.node)];
    const QuantizedWeights& qw = layer.weights;
    if (!qw.valid()) fail(node.describe(), ": weights were not quantized");
    const ir::ValueId w_id = node.inputs[static_cast<size_t>(layer.weight_input)];
    const ir::Value w_like = g.value(w_id);
    const std::string wname = w_like.name;
    const ir::ValueId wq = g.add_constant(wname + "_quantized", qw.q);
    const ir::ValueId ws = g.add_constant(wname + "_scale", scale_tensor(qw.scale, false));
    ir::Value w_float = w_like;
    w_float.data = nullptr;
    // Symmetric weights and int32 biases have zero point 0, ONNX's default: the zero-point
    // input is omitted (a byte per channel, four for biases, in files that are mostly weights).
    const ir::ValueId w_dq = add_dequantize(g, wname, wq, ws, ir::kNoValue, layer.weight_axis(), w_float);
    g.nodes[static_cast<size_t>(layer.node)].inputs[static_cast<size_t>(layer.weight_input)] = w_dq;

    // Bias: int32 at scale_x * scale_w per channel. It needs the input's scale.
    if (layer.activations.empty()) continue;
    const ActivationQuantizer& x = setup.activations[static_cast<size_t>(layer.activations[0])];
    ir::ValueId b_id = layer.bias_input >= 0 ? g.nodes[static_cast<size_t>(layer.node)].input(static_cast<size_t>(layer.bias_input))
                                             : ir::kNoValue;
    Tensor bias;
    std::string bname;
    if (!layer.bias.bytes.empty()) {
      bias = layer.bias;
      bname = b_id != ir::kNoValue ? g.value(b_id).name : wname + "_bias";
    } else if (b_id != ir::kNoValue) {
      bias = *g.value(b_id).data;
      bname = g.value(b_id).name;
    } else {
      continue;
    }
    QuantizedWeights weights_copy = qw;  // bias fitting may raise a weight scale
    const Tensor w_orig = *fp32.value(fp32.nodes[static_cast<size_t>(layer.node)].inputs[static_cast<size_t>(layer.weight_input)]).data;
    QuantizedBias qb = quantize_bias(bias, x.params.scale[0], weights_copy, w_orig);
    if (weights_copy.scale != qw.scale) {
      // Re-point the weight DQ at the adjusted weights and scales.
      g.value(wq).data = std::make_shared<const Tensor>(weights_copy.q);
      g.value(ws).data = std::make_shared<const Tensor>(scale_tensor(weights_copy.scale, false));
    }
    const ir::ValueId bq = g.add_constant(bname + "_quantized", qb.q);
    const ir::ValueId bs = g.add_constant(bname + "_scale", scale_tensor(qb.scale, false));
    ir::Value b_like;
    b_like.dtype = DType::kFloat32;
    b_like.shape = bias.shape;
    b_like.has_shape = true;
    b_like.dim_params.assign(bias.shape.size(), "");
    const ir::ValueId b_dq = add_dequantize(g, bname, bq, bs, ir::kNoValue, 0, b_like);
    ir::Node& n = g.nodes[static_cast<size_t>(layer.node)];
    const size_t slot = layer.bias_input >= 0 ? static_cast<size_t>(layer.bias_input) : 2;
    if (n.inputs.size() <= slot) n.inputs.resize(slot + 1, ir::kNoValue);
    n.inputs[slot] = b_dq;
  }
  // Per-channel DequantizeLinear needs opset 13: an older graph is raised here (its ops
  // rewritten to their opset-13 forms), so the graph octet calibrates, corrects and runs is
  // the one it writes.
  onnx_io::upgrade_opset_for_qdq(g);
  g.compact();
  ir::verify(g);
  return g;
}

void fold_constant_dequantize(ir::Graph& g) {
  for (ir::Node& n : g.nodes) {
    if (n.dead || n.op != ir::OpKind::DequantizeLinear) continue;
    // The folder's own evaluation (passes/qdq_util), so both fold a constant alike.
    std::optional<Tensor> folded = passes::qdq::dequantize_constant(g, n);
    if (!folded) continue;
    Tensor out = std::move(*folded);
    ir::Value& v = g.value(n.outputs[0]);
    v.dtype = DType::kFloat32;
    v.shape = out.shape;
    v.has_shape = true;
    v.dim_params.assign(out.shape.size(), "");
    v.data = std::make_shared<const Tensor>(std::move(out));
    v.producer = ir::kNoNode;
    n.dead = true;
  }
  g.compact();
  ir::verify(g);
}

}  // namespace octet::quant
