// fuse_conv_activation: every Conv becomes a FusedConv, and the activation after a FusedConv
// or FullyConnected (whose output feeds nothing else) moves into its "activation" attribute:
//
//   X -> FusedConv/FullyConnected -> Relu | LeakyRelu | Clip(const) | Sigmoid | HardSigmoid
//                                    | HardSwish | Tanh -> Y
//   X -> FusedConv -> t ; t -> Sigmoid -> s ; Mul(t, s) -> Y                (Swish)
//   X -> FusedConv -> t ; Div(t, sqrt 2) -> Erf -> Add(1) -> Mul(t) -> Mul(0.5) -> Y  (GELU)
//   =>  X -> FusedConv(activation=...) -> Y
//
// A FusedConv with a Sum input takes the activation too: its semantics apply the activation
// after the sum, the order ResNet's relu(conv + bn + residual) needs.
#include <cmath>

#include "octet/error.hpp"
#include "passes/pass_util.hpp"
#include "passes/passes.hpp"

namespace octet::passes {
namespace {

using ir::NodeId;
using ir::OpKind;
using ir::ValueId;

bool near(std::optional<float> v, double want) { return v && std::fabs(*v - want) <= 1e-4 * std::fabs(want); }

// The node's other input when one of its two inputs is `x`.
ValueId other_input(const ir::Node& node, ValueId x) {
  if (node.inputs.size() != 2) return ir::kNoValue;
  if (node.inputs[0] == x) return node.inputs[1];
  if (node.inputs[1] == x) return node.inputs[0];
  return ir::kNoValue;
}

const ir::Node& at(const ir::Graph& g, NodeId n) { return g.nodes[static_cast<size_t>(n)]; }

// A consumer of v of kind `op`, or kNoNode.
NodeId consumer(const ir::Graph& g, const Uses& uses, ValueId v, OpKind op) {
  for (NodeId c : uses.of(v))
    if (at(g, c).op == op) return c;
  return ir::kNoNode;
}

// Swish: t consumed by exactly Sigmoid(t) and Mul(t, sigmoid). Returns {sigmoid, mul}.
std::optional<std::vector<NodeId>> match_swish(const ir::Graph& g, const Uses& uses, ValueId t) {
  if (uses.is_output(t) || uses.of(t).size() != 2) return std::nullopt;
  const NodeId s = consumer(g, uses, t, OpKind::Sigmoid);
  const NodeId m = consumer(g, uses, t, OpKind::Mul);
  if (s == ir::kNoNode || m == ir::kNoNode) return std::nullopt;
  if (uses.sole(at(g, s).outputs[0]) != m || other_input(at(g, m), t) != at(g, s).outputs[0]) return std::nullopt;
  return std::vector<NodeId>{s, m};
}

// erf GELU as PyTorch exports it, 0.5 placed before or after: nodes to remove, last = output.
std::optional<std::vector<NodeId>> match_gelu(const ir::Graph& g, const Uses& uses, ValueId t) {
  if (uses.is_output(t) || uses.of(t).size() != 2) return std::nullopt;
  NodeId d = ir::kNoNode;
  for (NodeId c : uses.of(t)) {
    const ir::Node& n = at(g, c);
    const auto k = n.inputs.size() == 2 && n.inputs[0] == t ? scalar_constant(g, n.inputs[1]) : std::nullopt;
    if ((n.op == OpKind::Div && near(k, std::sqrt(2.0))) || (n.op == OpKind::Mul && near(k, std::sqrt(0.5)))) d = c;
  }
  if (d == ir::kNoNode) return std::nullopt;
  const NodeId e = uses.sole(at(g, d).outputs[0]);
  if (e == ir::kNoNode || at(g, e).op != OpKind::Erf) return std::nullopt;
  const NodeId a = uses.sole(at(g, e).outputs[0]);
  if (a == ir::kNoNode || at(g, a).op != OpKind::Add || !near(scalar_constant(g, other_input(at(g, a), at(g, e).outputs[0])), 1.0))
    return std::nullopt;
  const ValueId one_plus = at(g, a).outputs[0];
  NodeId other = ir::kNoNode;  // t's consumer besides d
  for (NodeId c : uses.of(t))
    if (c != d) other = c;
  const ir::Node& o = at(g, other);
  if (o.op != OpKind::Mul) return std::nullopt;
  // x * (1 + erf) then * 0.5
  if (other_input(o, t) == one_plus && uses.sole(one_plus) == other) {
    const NodeId h = uses.sole(o.outputs[0]);
    if (h != ir::kNoNode && at(g, h).op == OpKind::Mul && near(scalar_constant(g, other_input(at(g, h), o.outputs[0])), 0.5))
      return std::vector<NodeId>{d, e, a, other, h};
    return std::nullopt;
  }
  // (x * 0.5) * (1 + erf)
  if (near(scalar_constant(g, other_input(o, t)), 0.5)) {
    const NodeId m = uses.sole(o.outputs[0]);
    if (m != ir::kNoNode && uses.sole(one_plus) == m && other_input(at(g, m), o.outputs[0]) == one_plus)
      return std::vector<NodeId>{d, e, a, other, m};
  }
  return std::nullopt;
}


}  // namespace

std::string fuse_conv_activation(ir::Graph& graph, const PassOptions& options) {
  int converted = 0, fused = 0;
  for (ir::Node& node : graph.nodes) {
    if (node.dead || node.op != OpKind::Conv) continue;
    node.op = OpKind::FusedConv;
    ++converted;
  }
  Uses uses(graph);
  for (NodeId n : graph.topological_order()) {
    const ir::Node& node = at(graph, n);
    if (node.dead || (node.op != OpKind::FusedConv && node.op != OpKind::FullyConnected)) continue;
    if (ir::has_fused_activation(node)) continue;
    const ValueId t = node.outputs[0];
    if (graph.value(t).dtype != DType::kFloat32) continue;
    std::optional<ir::FusedActivation> act;
    std::vector<NodeId> absorbed;
    if (const NodeId c = uses.sole(t); c != ir::kNoNode && at(graph, c).input(0) == t) {
      act = activation_of(graph, at(graph, c));
      absorbed = {c};
    }
    if (!act) {
      if (auto m = match_swish(graph, uses, t)) { act = ir::default_activation(ir::ActivationKind::kSwish); absorbed = *m; }
      else if (auto g = match_gelu(graph, uses, t)) { act = ir::default_activation(ir::ActivationKind::kGelu); absorbed = *g; }
    }
    if (!act) continue;
    ir::write_fused_activation(*act, graph.nodes[static_cast<size_t>(n)]);
    take_output(graph, n, absorbed.back());
    for (NodeId a : absorbed) graph.nodes[static_cast<size_t>(a)].dead = true;
    uses.update(absorbed);
    ++fused;
  }
  if (converted + fused == 0) return "";
  return cat(converted, " Conv to FusedConv, ", fused, " activations fused");
}

}  // namespace octet::passes
