// Shape functions of the elementwise ops: unary ops and activations keep their input's shape
// and dtype; binary, variadic ops and Where broadcast NumPy-style; comparisons, logical ops
// and IsNaN/IsInf produce bool.
#include "ir/shapes/shape_util.hpp"

namespace octet::ir::shapes {
namespace {

void same_as_input(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  set_output(graph, node, 0, x.dtype, x.shape);
}

void bool_like_input(Graph& graph, const Node& node) {
  set_output(graph, node, 0, DType::kBool, input_value(graph, node, 0).shape);
}

// Broadcast over every present input; dtype of the first.
Shape broadcast_inputs(Graph& graph, const Node& node) {
  Shape shape = input_value(graph, node, 0).shape;
  for (size_t i = 1; i < node.inputs.size(); ++i)
    if (has_input(node, i)) shape = broadcast(node, shape, input_value(graph, node, i).shape);
  return shape;
}

void broadcast_arith(Graph& graph, const Node& node) {
  set_output(graph, node, 0, input_value(graph, node, 0).dtype, broadcast_inputs(graph, node));
}

void broadcast_bool(Graph& graph, const Node& node) {
  set_output(graph, node, 0, DType::kBool, broadcast_inputs(graph, node));
}

// Where(condition, X, Y): the dtype is X's.
void where(Graph& graph, const Node& node) {
  set_output(graph, node, 0, input_value(graph, node, 1).dtype, broadcast_inputs(graph, node));
}

}  // namespace

ShapeFn elementwise_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::Abs: case OpKind::Neg: case OpKind::Exp: case OpKind::Log: case OpKind::Sqrt:
    case OpKind::Reciprocal: case OpKind::Floor: case OpKind::Ceil: case OpKind::Round: case OpKind::Sign:
    case OpKind::Sin: case OpKind::Cos: case OpKind::Tan: case OpKind::Asin: case OpKind::Acos:
    case OpKind::Atan: case OpKind::Sinh: case OpKind::Cosh: case OpKind::Asinh: case OpKind::Acosh:
    case OpKind::Atanh: case OpKind::Erf: case OpKind::Not:
    case OpKind::Relu: case OpKind::LeakyRelu: case OpKind::PRelu: case OpKind::Elu: case OpKind::Selu:
    case OpKind::Celu: case OpKind::Sigmoid: case OpKind::HardSigmoid: case OpKind::HardSwish:
    case OpKind::Tanh: case OpKind::Softplus: case OpKind::Softsign: case OpKind::Mish: case OpKind::Gelu:
    case OpKind::Clip: case OpKind::ThresholdedRelu: case OpKind::Shrink:
      // PRelu broadcasts its slope to X (unidirectionally), so Y has X's shape.
      return same_as_input;
    case OpKind::IsNaN: case OpKind::IsInf:
      return bool_like_input;
    case OpKind::Add: case OpKind::Sub: case OpKind::Mul: case OpKind::Div: case OpKind::Pow:
    case OpKind::Mod: case OpKind::Max: case OpKind::Min: case OpKind::Mean: case OpKind::Sum:
      return broadcast_arith;
    case OpKind::Equal: case OpKind::Less: case OpKind::LessOrEqual: case OpKind::Greater:
    case OpKind::GreaterOrEqual: case OpKind::And: case OpKind::Or: case OpKind::Xor:
      return broadcast_bool;
    case OpKind::Where:
      return where;
    default:
      return nullptr;
  }
}

}  // namespace octet::ir::shapes
