// Shape functions of Resize and Upsample: "sizes" when given, else floor(dim * scale) computed
// in float as ONNX's and ONNX Runtime's shape inference do. Upsample takes scales as an
// attribute before opset 9 and as an input after; Resize-10 takes (X, scales), Resize-11+
// (X, roi, scales, sizes) where an empty tensor stands for an omitted input.
#include <cmath>

#include "ir/shapes/shape_util.hpp"
#include "octet/error.hpp"

namespace octet::ir::shapes {
namespace {

void scale_dims(Graph& graph, const Node& node, const std::vector<double>& scales) {
  const Value& x = input_value(graph, node, 0);
  if (scales.size() != x.shape.size())
    fail(node.describe(), ": ", scales.size(), " scales for an input of rank ", x.shape.size());
  Shape out = x.shape;
  for (size_t d = 0; d < out.size(); ++d) {
    // NaN, Inf and scales that overflow float have no size; a scale that rounds a dim down
    // to 0 leaves nothing to resize into (ONNX Runtime refuses both).
    if (!(scales[d] > 0) || !std::isfinite(static_cast<float>(scales[d])))
      fail(node.describe(), ": scales[", d, "] is ", scales[d], "; a scale must be positive and finite");
    if (out[d] < 0) continue;
    const double scaled = std::floor(static_cast<double>(static_cast<float>(out[d]) * static_cast<float>(scales[d])));
    if (!(scaled < 9.2e18))
      fail(node.describe(), ": scales[", d, "] = ", scales[d], " makes dim ", d, " of ", out[d], " larger than any tensor");
    out[d] = static_cast<int64_t>(scaled);
    if (out[d] == 0 && x.shape[d] > 0)
      fail(node.describe(), ": scales[", d, "] = ", scales[d], " resizes dim ", d, " of ", x.shape[d], " to 0");
  }
  set_output(graph, node, 0, x.dtype, out);
}

// Present and not an empty placeholder.
bool given(const Graph& graph, const Node& node, size_t i) {
  if (!has_input(node, i)) return false;
  const Value& v = graph.value(node.input(i));
  return !(v.has_shape && shape_numel(v.shape) == 0);
}

void unknown_like_input(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  set_output(graph, node, 0, x.dtype, unknown_dims(x.shape.size()));
}

void upsample(Graph& graph, const Node& node) {
  if (graph.opset < 9) {
    const auto s = node.attr_floats("scales");
    scale_dims(graph, node, std::vector<double>(s.begin(), s.end()));
    return;
  }
  const Tensor* scales = const_input(graph, node, 1);
  if (!scales) return unknown_like_input(graph, node);
  scale_dims(graph, node, tensor_doubles(*scales));
}

void resize(Graph& graph, const Node& node) {
  const size_t scales_at = graph.opset < 11 ? 1 : 2;
  const size_t sizes_at = 3;
  if (graph.opset >= 11 && given(graph, node, sizes_at)) {
    const auto sizes = const_ints(graph, node, sizes_at);
    if (!sizes) return unknown_like_input(graph, node);
    const Value& x = input_value(graph, node, 0);
    if (sizes->size() != x.shape.size())
      fail(node.describe(), ": ", sizes->size(), " sizes for an input of rank ", x.shape.size());
    for (size_t d = 0; d < sizes->size(); ++d)
      if ((*sizes)[d] <= 0 && x.shape[d] != 0)
        fail(node.describe(), ": sizes ", shape_str(*sizes), " has ", (*sizes)[d], " at ", d, "; sizes must be positive");
    set_output(graph, node, 0, x.dtype, Shape(sizes->begin(), sizes->end()));
    return;
  }
  if (!given(graph, node, scales_at)) fail(node.describe(), ": needs scales or sizes");
  const Tensor* scales = const_input(graph, node, scales_at);
  if (!scales) return unknown_like_input(graph, node);
  scale_dims(graph, node, tensor_doubles(*scales));
}

}  // namespace

ShapeFn resize_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::Resize: return resize;
    case OpKind::Upsample: return upsample;
    default: return nullptr;
  }
}

}  // namespace octet::ir::shapes
