// fold_constants: evaluates, at optimization time, every node whose inputs are all constant,
// and Shape/Size of values whose shape is static. Walking in topological order and
// re-running each node's shape function on the way lets a chain fold in one walk:
//
//   X[1,3,224,224] -> Shape -> Gather(0) -> Concat(.., -1) -> Reshape(Y, .)
//   becomes  Reshape(Y, constant [1,-1])   (and Y's shape is then static too)
//
// If/Loop/Scan outputs are typed through their bodies, folded the same way.
// Evaluation uses options.evaluate (rt::evaluate_node, the reference kernels); a node no
// kernel can evaluate is left alone.
#include <algorithm>
#include <optional>
#include <stdexcept>

#include "core/value_error.hpp"
#include "ir/shapes/shape_fn.hpp"
#include "ir/subgraph.hpp"
#include "octet/error.hpp"
#include "passes/passes.hpp"

namespace octet::passes {
namespace {

// Folding must not blow up the model: a node that makes a large tensor out of small inputs
// (ConstantOfShape of a big shape feeding an Expand, Range, Tile) stays a node when its
// outputs exceed 64 MB and are larger than its inputs together. Folding a large node that
// does not grow the data (Transpose or Cast of a big weight) is kept: it only moves bytes.
constexpr size_t kMaxGrownBytes = size_t{64} << 20;

bool static_shape(const ir::Value& v) {
  if (!v.has_shape) return false;
  for (int64_t d : v.shape)
    if (d < 0) return false;
  return true;
}

void make_constant(ir::Graph& graph, ir::ValueId id, Tensor t) {
  ir::Value& v = graph.value(id);
  v.dtype = t.dtype;
  v.shape = t.shape;
  v.has_shape = true;
  v.dim_params.assign(t.shape.size(), "");
  v.producer = ir::kNoNode;
  v.data = std::make_shared<const Tensor>(std::move(t));
}

// Shape or Size of a static shape, without evaluating anything.
std::optional<Tensor> fold_shape_query(const ir::Graph& graph, const ir::Node& node) {
  if (node.op != ir::OpKind::Shape && node.op != ir::OpKind::Size) return std::nullopt;
  const ir::Value& x = graph.value(node.inputs.at(0));
  if (!static_shape(x)) return std::nullopt;
  if (node.op == ir::OpKind::Size) return Tensor::from_vector<int64_t>(DType::kInt64, {}, {shape_numel(x.shape)});
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const auto clamp = [&](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
  const int64_t start = clamp(node.attr_int("start", 0)), end = clamp(node.attr_int("end", rank));
  std::vector<int64_t> dims;
  for (int64_t d = start; d < end; ++d) dims.push_back(x.shape[static_cast<size_t>(d)]);
  // start >= end selects no dim; from_vector would memcpy from an empty vector's null data.
  if (dims.empty()) return Tensor(DType::kInt64, {0});
  return Tensor::from_vector<int64_t>(DType::kInt64, {static_cast<int64_t>(dims.size())}, dims);
}

// Outputs of a node whose inputs are all constant, or nullopt when it should stay a node.
std::optional<std::vector<Tensor>> evaluate(const ir::Graph& graph, const ir::Node& node,
                                            const PassOptions& options) {
  if (!options.evaluate) return std::nullopt;
  // Quantize/DequantizeLinear of constant weights are the QDQ model's statement of how the
  // weights are quantized: fold_qdq reads them, so they must not turn into float constants.
  if (node.op == ir::OpKind::QuantizeLinear || node.op == ir::OpKind::DequantizeLinear) return std::nullopt;
  std::vector<const Tensor*> inputs;
  size_t in_bytes = 0, present = 0;
  for (ir::ValueId in : node.inputs) {
    const Tensor* t = graph.constant(in);
    if (in != ir::kNoValue && !t) return std::nullopt;
    if (t) { in_bytes += t->bytes.size(); ++present; }
    inputs.push_back(t);
  }
  if (present == 0) return std::nullopt;
  size_t out_bytes = 0;
  for (ir::ValueId out : node.outputs) {
    if (out == ir::kNoValue) continue;
    const ir::Value& v = graph.value(out);
    if (!static_shape(v) || v.dtype == DType::kUndefined) return std::nullopt;
    out_bytes += static_cast<size_t>(shape_numel(v.shape)) * dtype_size(v.dtype);
  }
  if (out_bytes > kMaxGrownBytes && out_bytes > in_bytes) return std::nullopt;
  std::vector<Tensor> outputs;
  try {
    outputs = options.evaluate(graph, node, inputs);
  } catch (const ValueError&) {
    throw;  // the values are an error (integer division by zero): at run time it would be too
  } catch (const std::exception&) {
    return std::nullopt;  // no reference kernel for it (yet), or it declines these inputs
  }
  if (outputs.size() < node.outputs.size()) return std::nullopt;
  // A kernel that disagrees with shape inference is a bug elsewhere; folding would hide it.
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (node.outputs[i] == ir::kNoValue) continue;
    const ir::Value& v = graph.value(node.outputs[i]);
    if (outputs[i].shape != v.shape || outputs[i].dtype != v.dtype) return std::nullopt;
  }
  return outputs;
}

bool is_control_flow(ir::OpKind op) {
  return op == ir::OpKind::If || op == ir::OpKind::Loop || op == ir::OpKind::Scan;
}

// An If/Loop/Scan's output shapes through bodies that are folded too: a body that computes a
// shape (Shape -> Gather -> Concat -> Reshape of a captured value) has static outputs only
// once that chain folds on the types the node gives it.
void infer_through_folded_bodies(ir::Graph& graph, const ir::Node& node, const PassOptions& options) {
  ir::infer_control_flow(graph, node, [&](const ir::Graph& body, const std::vector<ir::InputType>& types,
                                          const ir::Node& owner) {
    ir::Graph bound = ir::bind_subgraph(body, types, owner, false);
    fold_constants(bound, options);
    return bound;
  });
}

}  // namespace

std::string fold_constants(ir::Graph& graph, const PassOptions& options) {
  int folded = 0, queries = 0;
  const std::vector<char> is_output = graph.output_mask();
  for (ir::NodeId n : graph.topological_order()) {
    ir::Node& node = graph.nodes[static_cast<size_t>(n)];
    // Inputs folded earlier in this walk may make this node's shape static.
    bool shaped = true;
    for (ir::ValueId in : node.inputs) shaped = shaped && (in == ir::kNoValue || graph.value(in).has_shape);
    if (const ir::ShapeFn fn = ir::shape_fn_for(node.op); fn && shaped) fn(graph, node);
    bool outputs_static = true;
    for (ir::ValueId out : node.outputs) outputs_static = outputs_static && (out == ir::kNoValue || static_shape(graph.value(out)));
    if (shaped && !outputs_static && is_control_flow(node.op)) infer_through_folded_bodies(graph, node, options);
    // A graph output stays produced by a node: the model's outputs are not constants.
    bool feeds_output = false;
    for (ir::ValueId out : node.outputs) feeds_output = feeds_output || (out != ir::kNoValue && is_output[static_cast<size_t>(out)]);
    if (feeds_output) continue;
    if (auto t = fold_shape_query(graph, node)) {
      make_constant(graph, node.outputs[0], std::move(*t));
      node.dead = true;
      ++queries;
      continue;
    }
    auto outputs = evaluate(graph, node, options);
    if (!outputs) continue;
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (node.outputs[i] != ir::kNoValue) make_constant(graph, node.outputs[i], std::move((*outputs)[i]));
    node.dead = true;
    ++folded;
  }
  if (folded + queries == 0) return "";
  return cat(folded + queries, " nodes folded", queries ? cat(" (", queries, " Shape/Size of static shapes)") : "");
}

}  // namespace octet::passes
