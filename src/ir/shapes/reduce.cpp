// Shape functions of the reductions: Reduce* (axes as an attribute before opset 13 for
// ReduceSum and 18 for the others, as an input after; keepdims; noop_with_empty_axes) and
// ArgMax/ArgMin (one axis, int64 output).
#include <set>

#include "ir/shapes/shape_util.hpp"

namespace octet::ir::shapes {
namespace {

void reduce(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  const int64_t axes_input_since = node.op == OpKind::ReduceSum ? 13 : 18;
  std::vector<int64_t> axes;
  if (graph.opset >= axes_input_since) {
    if (has_input(node, 1)) {
      const auto given = const_ints(graph, node, 1);
      if (!given) {
        // The axes are computed at run time: only the rank is known, and only with keepdims.
        if (keepdims) set_output(graph, node, 0, x.dtype, unknown_dims(x.shape.size()));
        else set_output_dtype(graph, node, 0, x.dtype);
        return;
      }
      axes = *given;
    }
    if (axes.empty() && node.attr_int("noop_with_empty_axes", 0) != 0) {
      set_output(graph, node, 0, x.dtype, x.shape);
      return;
    }
  } else {
    axes = node.attr_ints("axes");
  }
  std::set<int64_t> reduced;
  for (int64_t a : axes) reduced.insert(norm_axis(node, a, rank));
  if (axes.empty())
    for (int64_t a = 0; a < rank; ++a) reduced.insert(a);
  Shape out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced.count(d)) out.push_back(x.shape[static_cast<size_t>(d)]);
    else if (keepdims) out.push_back(1);
  }
  set_output(graph, node, 0, x.dtype, out);
}

void arg_reduce(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = norm_axis(node, node.attr_int("axis", 0), rank);
  const bool keepdims = node.attr_int("keepdims", 1) != 0;
  Shape out;
  for (int64_t d = 0; d < rank; ++d) {
    if (d != axis) out.push_back(x.shape[static_cast<size_t>(d)]);
    else if (keepdims) out.push_back(1);
  }
  set_output(graph, node, 0, DType::kInt64, out);
}

}  // namespace

ShapeFn reduce_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::ReduceMean: case OpKind::ReduceSum: case OpKind::ReduceMax: case OpKind::ReduceMin:
    case OpKind::ReduceProd: case OpKind::ReduceL1: case OpKind::ReduceL2: case OpKind::ReduceSumSquare:
    case OpKind::ReduceLogSum: case OpKind::ReduceLogSumExp:
      return reduce;
    case OpKind::ArgMax: case OpKind::ArgMin:
      return arg_reduce;
    default:
      return nullptr;
  }
}

}  // namespace octet::ir::shapes
