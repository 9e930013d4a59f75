// fuse_conv_add: a residual Add after a FusedConv becomes the FusedConv's Sum input, which
// oneDNN applies as a sum post-op (the conv accumulates onto the residual):
//
//   X -> FusedConv(no activation, no Sum) -> t ; R -> ... ; Add(t, R) -> Y
//   =>  X -> FusedConv(W, B, Sum = R) -> Y        (B = kNoValue when the conv had none)
//
// Only without broadcasting (R, t and Y of one static shape) and when t feeds only the Add.
// R must not be computed from t, or the FusedConv would read its own output (a cycle).
// An activation after the Add fuses afterwards (fuse_conv_activation runs again).
#include "octet/error.hpp"
#include "passes/pass_util.hpp"
#include "passes/passes.hpp"

namespace octet::passes {
namespace {

bool same_static_shape(const ir::Value& a, const ir::Value& b) {
  if (!a.has_shape || !b.has_shape || a.shape != b.shape || a.dtype != b.dtype) return false;
  for (int64_t d : a.shape)
    if (d < 0) return false;
  return true;
}

// The FusedConv producing operand `i` of the Add, when it can take the other as its Sum.
ir::NodeId fusable_conv(const ir::Graph& graph, const Uses& uses, const ir::Node& add, ir::NodeId add_id, size_t i) {
  const ir::ValueId t = add.inputs[i], r = add.inputs[1 - i];
  if (t == r) return ir::kNoNode;
  const ir::NodeId c = producer_of(graph, t, ir::OpKind::FusedConv);
  if (c == ir::kNoNode || uses.sole(t) != add_id) return ir::kNoNode;
  const ir::Node& conv = graph.nodes[static_cast<size_t>(c)];
  if (ir::has_fused_activation(conv) || conv.input(3) != ir::kNoValue) return ir::kNoNode;
  if (!same_static_shape(graph.value(t), graph.value(r)) || !same_static_shape(graph.value(t), graph.value(add.outputs[0])))
    return ir::kNoNode;
  if (depends_on(graph, r, c)) return ir::kNoNode;
  return c;
}

}  // namespace

std::string fuse_conv_add(ir::Graph& graph, const PassOptions& options) {
  Uses uses(graph);
  int fused = 0;
  for (ir::NodeId n : graph.topological_order()) {
    const ir::Node& add = graph.nodes[static_cast<size_t>(n)];
    if (add.op != ir::OpKind::Add || add.inputs.size() != 2) continue;
    // Either operand may be the conv; the first one that fits (PyTorch puts the main branch first).
    for (size_t i = 0; i < 2; ++i) {
      const ir::NodeId c = fusable_conv(graph, uses, add, n, i);
      if (c == ir::kNoNode) continue;
      const ir::ValueId residual = add.inputs[1 - i];
      ir::Node& conv = graph.nodes[static_cast<size_t>(c)];
      conv.inputs.resize(4, ir::kNoValue);
      conv.inputs[3] = residual;
      take_output(graph, c, n);
      uses.update({c, n});
      ++fused;
      break;
    }
  }
  if (fused == 0) return "";
  return cat(fused, " residual Add fused as Sum");
}

}  // namespace octet::passes
