// Reading Q/DQ quantization parameters and the graph queries fold_qdq's rules share.
#include "passes/qdq_util.hpp"

#include <cmath>

namespace octet::passes::qdq {
namespace {

// Every element of a constant as float (float32, int8, uint8, int32 scales and zero points).
std::optional<std::vector<double>> const_values(const ir::Graph& graph, ir::ValueId v) {
  const Tensor* t = graph.constant(v);
  if (!t) return std::nullopt;
  std::vector<double> out(static_cast<size_t>(t->numel()));
  for (int64_t i = 0; i < t->numel(); ++i) {
    switch (t->dtype) {
      case DType::kFloat32: out[static_cast<size_t>(i)] = t->data<float>()[i]; break;
      case DType::kUInt8: out[static_cast<size_t>(i)] = t->data<uint8_t>()[i]; break;
      case DType::kInt8: out[static_cast<size_t>(i)] = t->data<int8_t>()[i]; break;
      case DType::kInt32: out[static_cast<size_t>(i)] = t->data<int32_t>()[i]; break;
      default: return std::nullopt;
    }
  }
  return out;
}

bool positive_finite(const std::vector<double>& scales) {
  for (double s : scales)
    if (!(s > 0.0) || !std::isfinite(s)) return false;
  return true;
}

std::vector<float> to_floats(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

}  // namespace

ir::NodeId Context::producer_of(ir::ValueId v, ir::OpKind op) const {
  if (v == ir::kNoValue) return ir::kNoNode;
  const ir::NodeId p = graph.value(v).producer;
  if (p == ir::kNoNode || node(p).dead || node(p).op != op) return ir::kNoNode;
  return p;
}

ir::NodeId Context::sole_consumer(ir::ValueId v) const {
  // A node reading v twice (Add(x, x)) still counts once in the list; that is fine here.
  return uses.sole(v);
}

std::optional<QParams> per_tensor_params(const ir::Graph& graph, const ir::Node& node) {
  if (node.op != ir::OpKind::QuantizeLinear && node.op != ir::OpKind::DequantizeLinear) return std::nullopt;
  const auto scale = const_values(graph, node.input(1));
  if (!scale || scale->size() != 1 || !positive_finite(*scale)) return std::nullopt;
  if (graph.value(node.input(1)).dtype != DType::kFloat32) return std::nullopt;
  QParams p;
  p.scale = static_cast<float>((*scale)[0]);
  const ir::ValueId zp = node.input(2);
  if (zp != ir::kNoValue) {
    const auto values = const_values(graph, zp);
    if (!values || values->size() != 1) return std::nullopt;
    p.zero_point = static_cast<int32_t>((*values)[0]);
    p.dtype = graph.value(zp).dtype;
  } else {
    // Without a zero point QuantizeLinear makes uint8; DequantizeLinear reads its input's type.
    p.dtype = node.op == ir::OpKind::QuantizeLinear ? DType::kUInt8 : graph.value(node.input(0)).dtype;
  }
  if (p.dtype != DType::kUInt8 && p.dtype != DType::kInt8) return std::nullopt;
  if (node.op == ir::OpKind::DequantizeLinear && graph.value(node.input(0)).dtype != p.dtype) return std::nullopt;
  return p;
}

std::optional<WeightParams> weight_params(const ir::Graph& graph, const ir::Node& dq, int64_t axis) {
  if (dq.op != ir::OpKind::DequantizeLinear) return std::nullopt;
  const Tensor* w = graph.constant(dq.input(0));
  if (!w || w->dtype != DType::kInt8) return std::nullopt;
  const auto scales = const_values(graph, dq.input(1));
  if (!scales || !positive_finite(*scales)) return std::nullopt;
  if (graph.value(dq.input(1)).dtype != DType::kFloat32) return std::nullopt;
  if (dq.input(2) != ir::kNoValue) {
    const auto zps = const_values(graph, dq.input(2));
    if (!zps) return std::nullopt;
    for (double z : *zps)
      if (z != 0.0) return std::nullopt;
  }
  WeightParams p;
  p.value = dq.input(0);
  p.scales = to_floats(*scales);
  p.axis = axis;
  if (scales->size() == 1) return p;
  const int64_t rank = static_cast<int64_t>(w->shape.size());
  int64_t dq_axis = dq.attr_int("axis", 1);
  if (dq_axis < 0) dq_axis += rank;
  if (dq_axis != axis || axis < 0 || axis >= rank) return std::nullopt;
  if (static_cast<int64_t>(scales->size()) != w->shape[static_cast<size_t>(axis)]) return std::nullopt;
  return p;
}

std::optional<BiasParams> bias_params(const ir::Graph& graph, const ir::Node& dq) {
  if (dq.op != ir::OpKind::DequantizeLinear) return std::nullopt;
  const Tensor* b = graph.constant(dq.input(0));
  if (!b || b->dtype != DType::kInt32) return std::nullopt;
  const auto scales = const_values(graph, dq.input(1));
  if (!scales || !positive_finite(*scales)) return std::nullopt;
  if (scales->size() != 1 && static_cast<int64_t>(scales->size()) != b->numel()) return std::nullopt;
  if (dq.input(2) != ir::kNoValue) {
    const auto zps = const_values(graph, dq.input(2));
    if (!zps) return std::nullopt;
    for (double z : *zps)
      if (z != 0.0) return std::nullopt;
  }
  return BiasParams{dq.input(0), to_floats(*scales)};
}

std::optional<Tensor> dequantize_constant(const ir::Graph& graph, const ir::Node& dq) {
  if (dq.op != ir::OpKind::DequantizeLinear) return std::nullopt;
  const Tensor* x = graph.constant(dq.input(0));
  const auto values = const_values(graph, dq.input(0));
  const auto scales = const_values(graph, dq.input(1));
  if (!x || !values || !scales || scales->empty()) return std::nullopt;
  std::vector<double> zps = {0.0};
  if (dq.input(2) != ir::kNoValue) {
    const auto z = const_values(graph, dq.input(2));
    if (!z || z->size() != scales->size()) return std::nullopt;
    zps = *z;
  }
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  int64_t axis = dq.attr_int("axis", 1);
  if (axis < 0) axis += rank;
  int64_t inner = 1, channels = 1;
  if (scales->size() > 1) {
    if (axis < 0 || axis >= rank || x->shape[static_cast<size_t>(axis)] != static_cast<int64_t>(scales->size()))
      return std::nullopt;
    channels = x->shape[static_cast<size_t>(axis)];
    for (int64_t d = axis + 1; d < rank; ++d) inner *= x->shape[static_cast<size_t>(d)];
  }
  Tensor out(DType::kFloat32, x->shape);
  for (int64_t i = 0; i < x->numel(); ++i) {
    const size_t c = static_cast<size_t>((i / inner) % channels);
    const double zp = zps.size() == 1 ? zps[0] : zps[c];
    // As the DequantizeLinear kernel computes it (ir/qdq/scheme.hpp).
    out.data<float>()[i] = ir::qdq::dequantize(static_cast<int32_t>((*values)[static_cast<size_t>(i)]),
                                               static_cast<float>((*scales)[c]), static_cast<int32_t>(zp));
  }
  return out;
}

const char* dtype_attr(DType dtype) {
  switch (dtype) {
    case DType::kUInt8: return "uint8";
    case DType::kInt8: return "int8";
    default: return "float32";
  }
}

}  // namespace octet::passes::qdq
