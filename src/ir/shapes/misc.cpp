// Shape functions of the remaining ops: Identity and Reorder (same tensor), Dropout (its
// optional mask is bool of X's shape).
#include "ir/shapes/shape_util.hpp"

namespace octet::ir::shapes {
namespace {

void same_as_input(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  set_output(graph, node, 0, x.dtype, x.shape);
}

void dropout(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  set_output(graph, node, 0, x.dtype, x.shape);
  set_output(graph, node, 1, DType::kBool, x.shape);
}

}  // namespace

ShapeFn misc_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::Identity: case OpKind::Reorder: return same_as_input;
    case OpKind::Dropout: return dropout;
    default: return nullptr;
  }
}

}  // namespace octet::ir::shapes
