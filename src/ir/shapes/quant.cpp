// Shape functions of the QDQ ops: QuantizeLinear's output dtype is its zero point's (uint8
// when the zero point is omitted); DequantizeLinear produces float32. Both keep the shape.
#include "ir/shapes/shape_util.hpp"

namespace octet::ir::shapes {
namespace {

void quantize(Graph& graph, const Node& node) {
  const DType dtype = has_input(node, 2) ? input_value(graph, node, 2).dtype : DType::kUInt8;
  set_output(graph, node, 0, dtype, input_value(graph, node, 0).shape);
}

void dequantize(Graph& graph, const Node& node) {
  set_output(graph, node, 0, DType::kFloat32, input_value(graph, node, 0).shape);
}

}  // namespace

ShapeFn quant_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::QuantizeLinear: return quantize;
    case OpKind::DequantizeLinear: return dequantize;
    default: return nullptr;
  }
}

}  // namespace octet::ir::shapes
