// Shape functions of the ops that only rearrange dims: Reshape (0 copies a dim unless
// allowzero, -1 is deduced), Flatten, Squeeze/Unsqueeze (axes as an attribute before opset 13,
// an input after), Transpose, DepthToSpace and SpaceToDepth.
#include <algorithm>
#include <set>

#include "ir/shapes/shape_util.hpp"
#include "octet/error.hpp"

namespace octet::ir::shapes {
namespace {

void reshape(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const auto target = const_ints(graph, node, 1);
  if (!target) {
    // A computed target shape: the rank is its length when that is known.
    const Value& s = input_value(graph, node, 1);
    if (s.shape.size() == 1 && s.shape[0] >= 0) set_output(graph, node, 0, x.dtype, unknown_dims(s.shape[0]));
    else set_output_dtype(graph, node, 0, x.dtype);
    return;
  }
  const bool allowzero = node.attr_int("allowzero", 0) != 0;
  Shape out(target->size());
  int infer = -1;       // the -1 dim, deduced from the element count
  int64_t known = 1;    // product of the other dims
  bool unknown = false; // some other dim is copied from an unknown input dim
  for (size_t i = 0; i < out.size(); ++i) {
    const int64_t t = (*target)[i];
    if (t == -1) {
      if (infer >= 0) fail(node.describe(), ": target shape ", shape_str(*target), " has two -1 dims");
      infer = static_cast<int>(i);
      continue;
    }
    if (t < -1) fail(node.describe(), ": target shape ", shape_str(*target), " has dim ", t);
    if (t == 0 && !allowzero) {
      if (i >= x.shape.size()) fail(node.describe(), ": target dim ", i, " copies a dim the input does not have");
      out[i] = x.shape[i];
    } else {
      out[i] = t;
    }
    if (out[i] < 0) unknown = true;
    else if (__builtin_mul_overflow(known, out[i], &known))
      fail(node.describe(), ": output '", graph.value(node.outputs.at(0)).name, "': target shape ", shape_str(*target),
           " has more than 2^63 elements, beyond any tensor size limit");
  }
  const int64_t total = known_product(x.shape, 0, x.shape.size());
  if (infer >= 0) {
    if (total < 0 || unknown) out[static_cast<size_t>(infer)] = -1;
    else if (known == 0 || total % known != 0)
      fail(node.describe(), ": cannot reshape ", shape_str(x.shape), " to ", shape_str(*target));
    else out[static_cast<size_t>(infer)] = total / known;
  } else if (total >= 0 && !unknown && known != total) {
    fail(node.describe(), ": cannot reshape ", shape_str(x.shape), " (", total, " elements) to ", shape_str(out));
  }
  set_output(graph, node, 0, x.dtype, out);
}

void flatten(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = node.attr_int("axis", 1);
  if (axis < -rank || axis > rank) fail(node.describe(), ": axis ", axis, " is out of range for rank ", rank);
  if (axis < 0) axis += rank;
  const size_t a = static_cast<size_t>(axis);
  set_output(graph, node, 0, x.dtype, {known_product(x.shape, 0, a), known_product(x.shape, a, x.shape.size())});
}

// Squeeze's and Unsqueeze's axes: attribute before opset 13, input after. nullopt when the
// input is computed at run time.
std::optional<std::vector<int64_t>> squeeze_axes(const Graph& graph, const Node& node) {
  if (graph.opset < 13) return node.attr_ints("axes");
  if (!has_input(node, 1)) return std::vector<int64_t>{};
  return const_ints(graph, node, 1);
}

void squeeze(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const auto axes = squeeze_axes(graph, node);
  if (!axes) { set_output_dtype(graph, node, 0, x.dtype); return; }
  std::set<int64_t> drop;
  for (int64_t a : *axes) {
    const int64_t d = norm_axis(node, a, rank);
    const int64_t dim = x.shape[static_cast<size_t>(d)];
    if (dim >= 0 && dim != 1) fail(node.describe(), ": cannot squeeze dim ", d, " of size ", dim);
    drop.insert(d);
  }
  if (axes->empty()) {
    // Every dim of size 1; unknown without knowing every dim.
    for (int64_t d = 0; d < rank; ++d) {
      if (x.shape[static_cast<size_t>(d)] < 0) { set_output_dtype(graph, node, 0, x.dtype); return; }
      if (x.shape[static_cast<size_t>(d)] == 1) drop.insert(d);
    }
  }
  Shape out;
  for (int64_t d = 0; d < rank; ++d)
    if (!drop.count(d)) out.push_back(x.shape[static_cast<size_t>(d)]);
  set_output(graph, node, 0, x.dtype, out);
}

void unsqueeze(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const auto axes = squeeze_axes(graph, node);
  if (!axes) { set_output_dtype(graph, node, 0, x.dtype); return; }
  const int64_t rank = static_cast<int64_t>(x.shape.size() + axes->size());
  std::set<int64_t> added;
  for (int64_t a : *axes)
    if (!added.insert(norm_axis(node, a, rank)).second) fail(node.describe(), ": axis ", a, " is repeated");
  Shape out;
  size_t next = 0;
  for (int64_t d = 0; d < rank; ++d) out.push_back(added.count(d) ? 1 : x.shape[next++]);
  set_output(graph, node, 0, x.dtype, out);
}

void transpose(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const size_t rank = x.shape.size();
  std::vector<int64_t> perm = node.attr_ints("perm");
  if (perm.empty())
    for (size_t d = 0; d < rank; ++d) perm.push_back(static_cast<int64_t>(rank - 1 - d));
  if (perm.size() != rank) fail(node.describe(), ": perm has ", perm.size(), " entries for rank ", rank);
  std::vector<bool> seen(rank, false);
  Shape out;
  for (int64_t p : perm) {
    const int64_t d = norm_axis(node, p, static_cast<int64_t>(rank));
    if (seen[static_cast<size_t>(d)]) fail(node.describe(), ": perm repeats axis ", p);
    seen[static_cast<size_t>(d)] = true;
    out.push_back(x.shape[static_cast<size_t>(d)]);
  }
  set_output(graph, node, 0, x.dtype, out);
}

void depth_space(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  if (x.shape.size() != 4) fail(node.describe(), ": needs a 4-D input, got ", shape_str(x.shape));
  const int64_t b = node.attr_int("blocksize", 0);
  if (b <= 0) fail(node.describe(), ": blocksize must be positive");
  const auto mul = [](int64_t d, int64_t k) { return d < 0 ? -1 : d * k; };
  const auto div = [&](int64_t d, int64_t k) {
    if (d >= 0 && d % k != 0) fail(node.describe(), ": dim ", d, " is not a multiple of ", k);
    return d < 0 ? -1 : d / k;
  };
  const Shape& s = x.shape;
  if (node.op == OpKind::DepthToSpace)
    set_output(graph, node, 0, x.dtype, {s[0], div(s[1], b * b), mul(s[2], b), mul(s[3], b)});
  else
    set_output(graph, node, 0, x.dtype, {s[0], mul(s[1], b * b), div(s[2], b), div(s[3], b)});
}

}  // namespace

ShapeFn reshape_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::Reshape: return reshape;
    case OpKind::Flatten: return flatten;
    case OpKind::Squeeze: return squeeze;
    case OpKind::Unsqueeze: return unsqueeze;
    case OpKind::Transpose: return transpose;
    case OpKind::DepthToSpace: case OpKind::SpaceToDepth: return depth_space;
    default: return nullptr;
  }
}

}  // namespace octet::ir::shapes
