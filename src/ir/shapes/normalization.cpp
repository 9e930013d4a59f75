// Shape functions of the normalizations: BatchNormalization (its training-mode outputs are
// per-channel [C]), InstanceNormalization, LayerNormalization (Mean and InvStdDev keep the
// dims before `axis` and are 1 after), LpNormalization and Softmax/LogSoftmax/Hardmax.
#include "ir/shapes/shape_util.hpp"
#include "octet/error.hpp"

namespace octet::ir::shapes {
namespace {

void same_as_input(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  set_output(graph, node, 0, x.dtype, x.shape);
}

void batch_norm(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  set_output(graph, node, 0, x.dtype, x.shape);
  if (x.shape.size() < 2) fail(node.describe(), ": X ", shape_str(x.shape), " needs rank >= 2");
  // Optional outputs (running or saved mean and variance) are per channel.
  const DType stat_dtype = has_input(node, 3) ? input_value(graph, node, 3).dtype : x.dtype;
  for (size_t i = 1; i < node.outputs.size(); ++i) set_output(graph, node, i, stat_dtype, {x.shape[1]});
}

void layer_norm(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  set_output(graph, node, 0, x.dtype, x.shape);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const size_t axis = static_cast<size_t>(norm_axis(node, node.attr_int("axis", -1), rank));
  Shape stat(x.shape.begin(), x.shape.begin() + static_cast<std::ptrdiff_t>(axis));
  stat.resize(x.shape.size(), 1);
  const DType stash = dtype_from_onnx_code(node, node.attr_int("stash_type", 1));
  set_output(graph, node, 1, stash, stat);
  set_output(graph, node, 2, stash, stat);
}

}  // namespace

ShapeFn normalization_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::BatchNormalization: return batch_norm;
    case OpKind::LayerNormalization: return layer_norm;
    case OpKind::InstanceNormalization: case OpKind::LpNormalization:
    case OpKind::Softmax: case OpKind::LogSoftmax: case OpKind::Hardmax:
      return same_as_input;
    default: return nullptr;
  }
}

}  // namespace octet::ir::shapes
