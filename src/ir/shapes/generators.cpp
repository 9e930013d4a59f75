// Shape functions of ops that make shapes or new tensors, or change only the dtype: Shape
// (start/end), Size, Cast/CastLike, ConstantOfShape, Range, TopK (k as an attribute before
// opset 10, an input after), CumSum, EyeLike and Trilu.
#include <algorithm>
#include <cmath>

#include "ir/shapes/shape_util.hpp"
#include "octet/error.hpp"

namespace octet::ir::shapes {
namespace {

void shape_of(Graph& graph, const Node& node) {
  const int64_t rank = static_cast<int64_t>(input_value(graph, node, 0).shape.size());
  const auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
  const int64_t start = clamp(node.attr_int("start", 0));
  const int64_t end = clamp(node.attr_int("end", rank));
  set_output(graph, node, 0, DType::kInt64, {std::max<int64_t>(0, end - start)});
}

void size_of(Graph& graph, const Node& node) { set_output(graph, node, 0, DType::kInt64, {}); }

void cast(Graph& graph, const Node& node) {
  if (!node.has_attr("to")) fail(node.describe(), ": attribute 'to' is required");
  const DType to = dtype_from_onnx_code(node, node.attr_int("to", 0));
  set_output(graph, node, 0, to, input_value(graph, node, 0).shape);
}

void cast_like(Graph& graph, const Node& node) {
  set_output(graph, node, 0, input_value(graph, node, 1).dtype, input_value(graph, node, 0).shape);
}

void constant_of_shape(Graph& graph, const Node& node) {
  DType dtype = DType::kFloat32;
  auto it = node.attrs.find("value");
  if (it != node.attrs.end() && it->second.tensor) dtype = it->second.tensor->dtype;
  if (dtype == DType::kFloat16) dtype = DType::kFloat32;
  const auto shape = const_ints(graph, node, 0);
  if (shape) {
    for (int64_t d : *shape)
      if (d < 0) fail(node.describe(), ": negative dim in ", shape_str(*shape));
    set_output(graph, node, 0, dtype, Shape(shape->begin(), shape->end()));
    return;
  }
  const Value& s = input_value(graph, node, 0);
  if (s.shape.size() == 1 && s.shape[0] >= 0) set_output(graph, node, 0, dtype, unknown_dims(s.shape[0]));
  else set_output_dtype(graph, node, 0, dtype);
}

void range(Graph& graph, const Node& node) {
  const DType dtype = input_value(graph, node, 0).dtype;
  const Tensor* start = const_input(graph, node, 0);
  const Tensor* limit = const_input(graph, node, 1);
  const Tensor* delta = const_input(graph, node, 2);
  if (!start || !limit || !delta) { set_output(graph, node, 0, dtype, {-1}); return; }
  for (const Tensor* t : {start, limit, delta})
    if (t->numel() != 1) fail(node.describe(), ": start, limit and delta must be scalars, got ", shape_str(t->shape));
  const double s = tensor_doubles(*start).at(0), l = tensor_doubles(*limit).at(0), d = tensor_doubles(*delta).at(0);
  // ONNX Runtime: "not a finite value"; an empty output would be an answer nobody asked for.
  if (!std::isfinite(s) || !std::isfinite(l) || !std::isfinite(d))
    fail(node.describe(), ": start ", s, ", limit ", l, " and delta ", d, " must be finite");
  if (d == 0) fail(node.describe(), ": delta is 0");
  const double n = std::ceil((l - s) / d);
  // Past 2^62 elements no tensor exists; set_output refuses sizes over octet's limit.
  set_output(graph, node, 0, dtype, {n <= 0 ? 0 : n < 4.6e18 ? static_cast<int64_t>(n) : int64_t{1} << 62});
}

void top_k(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const size_t axis = static_cast<size_t>(norm_axis(node, node.attr_int("axis", -1), rank));
  Shape out = x.shape;
  if (graph.opset < 10) {
    out[axis] = node.attr_int("k", 0);
  } else {
    const auto k = const_ints(graph, node, 1);
    out[axis] = k && !k->empty() ? k->at(0) : -1;
    if (k && k->size() != 1) fail(node.describe(), ": K must hold one value, it holds ", k->size());
  }
  if (out[axis] < 0 && (graph.opset < 10 || const_input(graph, node, 1)))
    fail(node.describe(), ": k is ", out[axis], "; it must be >= 0");
  if (out[axis] >= 0 && x.shape[axis] >= 0 && out[axis] > x.shape[axis])
    fail(node.describe(), ": k ", out[axis], " exceeds dim ", x.shape[axis]);
  set_output(graph, node, 0, x.dtype, out);
  set_output(graph, node, 1, DType::kInt64, out);
}

void same_as_input(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  set_output(graph, node, 0, x.dtype, x.shape);
}

void eye_like(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const DType dtype = node.has_attr("dtype") ? dtype_from_onnx_code(node, node.attr_int("dtype", 1)) : x.dtype;
  set_output(graph, node, 0, dtype, x.shape);
}

}  // namespace

ShapeFn generator_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::Shape: return shape_of;
    case OpKind::Size: return size_of;
    case OpKind::Cast: return cast;
    case OpKind::CastLike: return cast_like;
    case OpKind::ConstantOfShape: return constant_of_shape;
    case OpKind::Range: return range;
    case OpKind::TopK: return top_k;
    case OpKind::CumSum: case OpKind::Trilu: return same_as_input;
    case OpKind::EyeLike: return eye_like;
    default: return nullptr;
  }
}

}  // namespace octet::ir::shapes
