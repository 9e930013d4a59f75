// Shape functions of the INT8 ops fold_qdq makes (QConv, QFullyConnected, QAdd, QAveragePool):
// each has the shape of the float op it replaces, and the dtype its "dtype_y" attribute names.
// The float families compute the shapes so that the window arithmetic lives in one place.
#include "ir/shapes/shape_util.hpp"
#include "octet/error.hpp"

namespace octet::ir::shapes {
namespace {

DType dtype_y(const Node& node) {
  const std::string name = node.attr_string("dtype_y", "");
  if (name == "uint8") return DType::kUInt8;
  if (name == "int8") return DType::kInt8;
  if (name == "float32") return DType::kFloat32;
  fail(node.describe(), ": attribute dtype_y is '", name, "'; expected uint8, int8 or float32");
}

// Runs the float op's shape function, then sets the output dtype from dtype_y.
template <OpKind kFloatOp, ShapeFn (*kFamily)(OpKind)>
void like(Graph& graph, const Node& node) {
  kFamily(kFloatOp)(graph, node);
  set_output_dtype(graph, node, 0, dtype_y(node));
}

void qadd(Graph& graph, const Node& node) {
  const Value& a = input_value(graph, node, 0);
  const Value& b = input_value(graph, node, 1);
  if (a.shape != b.shape)
    fail(node.describe(), ": inputs of shapes ", shape_str(a.shape), " and ", shape_str(b.shape),
         " differ (QAdd does not broadcast)");
  set_output(graph, node, 0, dtype_y(node), a.shape);
}

void qaverage_pool(Graph& graph, const Node& node) {
  if (node.attr_int("global", 0) != 0)
    conv_pool_shape_fn(OpKind::GlobalAveragePool)(graph, node);
  else
    conv_pool_shape_fn(OpKind::AveragePool)(graph, node);
  set_output_dtype(graph, node, 0, dtype_y(node));
}

}  // namespace

ShapeFn quant_ops_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::QConv: return like<OpKind::Conv, conv_pool_shape_fn>;
    case OpKind::QFullyConnected: return like<OpKind::FullyConnected, matmul_shape_fn>;
    case OpKind::QAdd: return qadd;
    case OpKind::QAveragePool: return qaverage_pool;
    default: return nullptr;
  }
}

}  // namespace octet::ir::shapes
