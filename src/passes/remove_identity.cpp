// remove_identity: drops nodes that pass their input through unchanged and rewires their
// consumers to the input:
//
//   A -> Identity -> B          A -> B
//   A -> Dropout  -> B    =>    (inference: mask unused, training_mode off)
//   A -> Cast(to A's dtype) / Reshape, Flatten, Squeeze, Unsqueeze to A's own shape -> B
//
// A graph output keeps its name: when the removed node produces one, its input takes the
// output's name if that input is an ordinary intermediate value; otherwise (the input is a
// graph input, a constant or another output) the node stays.
#include "ir/shapes/shape_util.hpp"
#include "octet/error.hpp"
#include "passes/pass_util.hpp"
#include "passes/passes.hpp"

namespace octet::passes {
namespace {

bool static_equal(const ir::Value& a, const ir::Value& b) {
  if (!a.has_shape || !b.has_shape || a.shape != b.shape) return false;
  for (int64_t d : a.shape)
    if (d < 0) return false;
  return true;
}

bool is_pass_through(const ir::Graph& graph, const Uses& uses, const ir::Node& node) {
  using ir::OpKind;
  // A recurrent or control-flow node may leave output 0 unnamed (an LSTM asked only for Y_h).
  if (node.inputs.empty() || node.input(0) == ir::kNoValue || node.outputs.empty() ||
      node.outputs[0] == ir::kNoValue)
    return false;
  const ir::Value& in = graph.value(node.inputs[0]);
  const ir::Value& out = graph.value(node.outputs[0]);
  switch (node.op) {
    case OpKind::Identity:
      return true;
    case OpKind::Dropout: {
      if (node.outputs.size() > 1 && !uses.unused(node.outputs[1])) return false;  // mask is read
      if (node.input(2) == ir::kNoValue) return true;  // training_mode (opset 12+) defaults to off
      const Tensor* training = graph.constant(node.input(2));
      return training && training->numel() == 1 && ir::shapes::tensor_ints(*training)[0] == 0;
    }
    case OpKind::Cast:
      return in.dtype != DType::kUndefined &&
             ir::shapes::dtype_from_onnx_code(node, node.attr_int("to", 0)) == in.dtype;
    case OpKind::Reshape: case OpKind::Flatten: case OpKind::Squeeze: case OpKind::Unsqueeze:
      return static_equal(in, out) && in.dtype == out.dtype;
    default:
      return false;
  }
}

}  // namespace

std::string remove_identity(ir::Graph& graph, const PassOptions& options) {
  Uses uses(graph);
  int removed = 0, kept_for_name = 0;
  for (ir::NodeId n : graph.topological_order()) {
    ir::Node& node = graph.nodes[static_cast<size_t>(n)];
    if (!is_pass_through(graph, uses, node)) continue;
    const ir::ValueId in = node.inputs[0], out = node.outputs[0];
    if (uses.is_output(out)) {
      const ir::Value& src = graph.value(in);
      const bool renamable = src.producer != ir::kNoNode && !src.is_constant() && !uses.is_output(in);
      if (!renamable) { ++kept_for_name; continue; }
      // The input takes over the output's name; the orphaned value gets a name nobody uses.
      const std::string name = graph.value(out).name;
      graph.value(out).name = graph.unique_value_name(name + ".removed");
      graph.value(in).name = name;
    }
    uses.replace_uses(graph, out, in);
    node.dead = true;
    uses.update({n});
    ++removed;
  }
  if (removed == 0) return "";
  return cat(removed, " pass-through nodes removed");
}

}  // namespace octet::passes
