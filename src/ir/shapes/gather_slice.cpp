// Shape functions of the ops that select, join or repeat data: Concat, Split (split as an
// attribute before opset 13, an input after, num_outputs from 18), Slice (attributes before
// opset 10, inputs after; negative and out-of-range bounds clamped as ONNX says), Gather,
// GatherElements, Pad (attributes before opset 11, inputs after), Tile and Expand.
#include <algorithm>
#include <limits>

#include "ir/shapes/shape_util.hpp"
#include "octet/error.hpp"

namespace octet::ir::shapes {
namespace {

void concat(Graph& graph, const Node& node) {
  const Value& first = input_value(graph, node, 0);
  const int64_t rank = static_cast<int64_t>(first.shape.size());
  const size_t axis = static_cast<size_t>(norm_axis(node, node.attr_int("axis", 0), rank));
  Shape out = first.shape;
  out[axis] = 0;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (!has_input(node, i)) continue;
    const Shape& s = input_value(graph, node, i).shape;
    if (static_cast<int64_t>(s.size()) != rank)
      fail(node.describe(), ": input ", i, " has rank ", s.size(), ", input 0 has rank ", rank);
    for (size_t d = 0; d < s.size(); ++d) {
      if (d == axis) {
        out[d] = (out[d] < 0 || s[d] < 0) ? -1 : out[d] + s[d];
      } else if (out[d] < 0) {
        out[d] = s[d];
      } else if (s[d] >= 0 && s[d] != out[d]) {
        fail(node.describe(), ": input ", i, " ", shape_str(s), " differs from the others off axis ", axis);
      }
    }
  }
  set_output(graph, node, 0, first.dtype, out);
}

void split(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const size_t axis = static_cast<size_t>(norm_axis(node, node.attr_int("axis", 0), static_cast<int64_t>(x.shape.size())));
  const size_t n = node.outputs.size();
  std::optional<std::vector<int64_t>> sizes;
  if (graph.opset < 13) {
    if (node.has_attr("split")) sizes = node.attr_ints("split");
  } else if (has_input(node, 1)) {
    sizes = const_ints(graph, node, 1);
    if (!sizes) {
      for (size_t i = 0; i < n; ++i) {
        Shape out = x.shape;
        out[axis] = -1;
        set_output(graph, node, i, x.dtype, out);
      }
      return;
    }
  }
  const int64_t dim = x.shape[axis];
  if (!sizes) {
    sizes.emplace();
    // Equal parts; from opset 18 the last part may be smaller (num_outputs).
    const int64_t chunk = dim < 0 ? -1 : ceil_div(dim, static_cast<int64_t>(n));
    if (dim >= 0 && graph.opset < 18 && dim % static_cast<int64_t>(n) != 0)
      fail(node.describe(), ": dim ", dim, " does not split into ", n, " equal parts");
    for (size_t i = 0; i < n; ++i)
      sizes->push_back(chunk < 0 ? -1 : std::min(chunk, dim - chunk * static_cast<int64_t>(i)));
  }
  if (sizes->size() != n) fail(node.describe(), ": split has ", sizes->size(), " sizes for ", n, " outputs");
  int64_t total = 0;
  for (int64_t s : *sizes) total += s;
  if (dim >= 0 && total != dim && (*sizes)[0] >= 0)
    fail(node.describe(), ": split sizes add up to ", total, ", the dim is ", dim);
  for (size_t i = 0; i < n; ++i) {
    Shape out = x.shape;
    out[axis] = (*sizes)[i];
    set_output(graph, node, i, x.dtype, out);
  }
}

// Number of elements Slice keeps along a dim of size `dim`.
int64_t slice_count(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (dim < 0) return -1;
  if (start < 0) start += dim;
  if (end < 0) end = end < std::numeric_limits<int64_t>::min() + dim ? -1 : end + dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
  }
  const int64_t span = end - start;
  if (step > 0) return std::max<int64_t>(0, ceil_div(span, step));
  return std::max<int64_t>(0, ceil_div(-span, -step));
}

void slice(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  std::optional<std::vector<int64_t>> starts, ends, axes, steps;
  if (graph.opset < 10) {
    starts = node.attr_ints("starts");
    ends = node.attr_ints("ends");
    if (node.has_attr("axes")) axes = node.attr_ints("axes");
  } else {
    starts = const_ints(graph, node, 1);
    ends = const_ints(graph, node, 2);
    if (has_input(node, 3)) axes = const_ints(graph, node, 3);
    if (has_input(node, 4)) steps = const_ints(graph, node, 4);
  }
  const bool axes_known = !has_input(node, 3) || graph.opset < 10 || axes.has_value();
  if (!axes_known) { set_output(graph, node, 0, x.dtype, unknown_dims(x.shape.size())); return; }
  const bool bounds_known = starts && ends && (!has_input(node, 4) || graph.opset < 10 || steps);
  const size_t count = starts ? starts->size() : (ends ? ends->size() : 0);
  if (!axes) {
    axes.emplace();
    // Without axes, the bounds cover dims 0..k-1; with unknown bounds, k is unknown too.
    if (!starts && !ends) { set_output(graph, node, 0, x.dtype, unknown_dims(x.shape.size())); return; }
    for (size_t i = 0; i < count; ++i) axes->push_back(static_cast<int64_t>(i));
  }
  Shape out = x.shape;
  for (size_t i = 0; i < axes->size(); ++i) {
    const size_t a = static_cast<size_t>(norm_axis(node, (*axes)[i], rank));
    if (!bounds_known) { out[a] = -1; continue; }
    if (starts->size() != axes->size() || ends->size() != axes->size() || (steps && steps->size() != axes->size()))
      fail(node.describe(), ": starts, ends, axes and steps differ in length");
    const int64_t step = steps ? (*steps)[i] : 1;
    if (step == 0) fail(node.describe(), ": step 0");
    out[a] = slice_count(x.shape[a], (*starts)[i], (*ends)[i], step);
  }
  set_output(graph, node, 0, x.dtype, out);
}

void gather(Graph& graph, const Node& node) {
  const Value& data = input_value(graph, node, 0);
  const Value& indices = input_value(graph, node, 1);
  const int64_t rank = static_cast<int64_t>(data.shape.size());
  const size_t axis = static_cast<size_t>(norm_axis(node, node.attr_int("axis", 0), rank));
  Shape out(data.shape.begin(), data.shape.begin() + static_cast<std::ptrdiff_t>(axis));
  out.insert(out.end(), indices.shape.begin(), indices.shape.end());
  out.insert(out.end(), data.shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.shape.end());
  set_output(graph, node, 0, data.dtype, out);
}

void gather_elements(Graph& graph, const Node& node) {
  set_output(graph, node, 0, input_value(graph, node, 0).dtype, input_value(graph, node, 1).shape);
}

void pad(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  std::optional<std::vector<int64_t>> pads;
  std::vector<int64_t> axes;
  if (graph.opset < 11) {
    pads = node.attr_ints("pads");
  } else {
    pads = const_ints(graph, node, 1);
    if (has_input(node, 3)) {
      const auto given = const_ints(graph, node, 3);
      if (!given) { set_output(graph, node, 0, x.dtype, unknown_dims(x.shape.size())); return; }
      for (int64_t a : *given) axes.push_back(norm_axis(node, a, rank));
    }
  }
  if (axes.empty())
    for (int64_t a = 0; a < rank; ++a) axes.push_back(a);
  Shape out = x.shape;
  if (!pads) {
    for (int64_t a : axes) out[static_cast<size_t>(a)] = -1;
  } else {
    if (pads->size() != 2 * axes.size())
      fail(node.describe(), ": pads has ", pads->size(), " values for ", axes.size(), " axes");
    // Reflect mirrors without repeating the border, so each side pads at most dim - 1 (ONNX
    // Runtime refuses more: "pre-pad exceeds maximum allowed"); edge needs a border to copy.
    const std::string mode = node.attr_string("mode", "constant");
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t& d = out[static_cast<size_t>(axes[i])];
      const int64_t begin = (*pads)[i], end = (*pads)[i + axes.size()];
      if (d < 0) continue;
      if (mode == "reflect" && std::max(begin, end) > d - 1)
        fail(node.describe(), ": reflect pads of ", begin, " and ", end, " on axis ", axes[i], " of size ", d,
             " exceed ", d - 1, ", the most reflect mode can mirror");
      if (mode == "edge" && d == 0 && std::max(begin, end) > 0)
        fail(node.describe(), ": edge mode cannot pad axis ", axes[i], " of size 0");
      const int64_t padded = checked_sum(node, "pads", {d, begin, end});
      if (padded < 0)
        fail(node.describe(), ": pads of ", begin, " and ", end, " on axis ", axes[i], " remove more than its ", d,
             " elements");
      d = padded;
    }
  }
  set_output(graph, node, 0, x.dtype, out);
}

void tile(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const auto repeats = const_ints(graph, node, 1);
  if (!repeats) { set_output(graph, node, 0, x.dtype, unknown_dims(x.shape.size())); return; }
  if (repeats->size() != x.shape.size())
    fail(node.describe(), ": repeats has ", repeats->size(), " values for rank ", x.shape.size());
  Shape out = x.shape;
  for (size_t d = 0; d < out.size(); ++d) {
    const int64_t r = (*repeats)[d];
    if (r < 0) fail(node.describe(), ": repeats[", d, "] is ", r, "; repeats must be non-negative");
    // An overflowing product would wrap to a small (or negative, "unknown") dim.
    if (out[d] >= 0 && __builtin_mul_overflow(out[d], r, &out[d]))
      fail(node.describe(), ": tiling ", shape_str(x.shape), " by ", r, " on axis ", d, " overflows");
  }
  set_output(graph, node, 0, x.dtype, out);
}

void expand(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const auto target = const_ints(graph, node, 1);
  if (target) {
    set_output(graph, node, 0, x.dtype, broadcast(node, x.shape, Shape(target->begin(), target->end())));
    return;
  }
  // A computed target of known length: broadcasting against unknown dims keeps the input's
  // dims above 1 and leaves the others unknown.
  const Value& s = input_value(graph, node, 1);
  if (s.shape.size() == 1 && s.shape[0] >= 0)
    set_output(graph, node, 0, x.dtype, broadcast(node, x.shape, unknown_dims(static_cast<size_t>(s.shape[0]))));
  else
    set_output_dtype(graph, node, 0, x.dtype);
}

}  // namespace

ShapeFn gather_slice_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::Concat: return concat;
    case OpKind::Split: return split;
    case OpKind::Slice: return slice;
    case OpKind::Gather: return gather;
    case OpKind::GatherElements: return gather_elements;
    case OpKind::Pad: return pad;
    case OpKind::Tile: return tile;
    case OpKind::Expand: return expand;
    default: return nullptr;
  }
}

}  // namespace octet::ir::shapes
