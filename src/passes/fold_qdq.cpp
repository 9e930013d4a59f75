// fold_qdq's driver: one walk in topological order trying, per node, the rules of its op type
// (the table below pairs selectors with actions, as ONNX Runtime's qdq_transformer does), then
// the removal of DequantizeLinear/QuantizeLinear nodes nothing reads any more.
//
//   ... -> Q -> x_q -> DQ -> Conv -> Relu -> Q -> y_q -> DQ -> MaxPool -> Q -> ...
//   =>  ... -> Q -> x_q -> QConv(Relu) -> y_q -> MaxPool -> ...
#include "passes/fold_qdq.hpp"

#include <algorithm>
#include <map>

#include "octet/error.hpp"
#include "passes/qdq_rules.hpp"

namespace octet::passes {
namespace {

using namespace qdq;

struct Rule {
  const char* name;  // for the pass log
  std::vector<ir::OpKind> ops;
  Selector select;
  Action apply;
};

// Order matters only between rules of one op: the first that selects wins.
const std::vector<Rule>& rules() {
  using ir::OpKind;
  static const std::vector<Rule> table = {
      {"QConv", {OpKind::Conv, OpKind::FusedConv}, select_conv, make_qconv},
      {"QFullyConnected", {OpKind::Gemm, OpKind::MatMul}, select_fully_connected, make_qfully_connected},
      {"residual Add", {OpKind::Add}, select_add, make_residual_add},
      {"QAveragePool", {OpKind::AveragePool, OpKind::GlobalAveragePool}, select_average_pool, make_qaverage_pool},
      {"int8 data movement",
       {OpKind::MaxPool, OpKind::Concat, OpKind::Reshape, OpKind::Flatten, OpKind::Squeeze, OpKind::Unsqueeze,
        OpKind::Identity},
       select_movement, sink_dq_below},
      {"Q(DQ) cancelled", {OpKind::QuantizeLinear}, select_q_of_dq, drop_q_of_dq},
  };
  return table;
}

// Marks dead the Q/DQ nodes whose outputs nothing reads, and then those only they read, in
// one walk from the unread ones up their inputs (a chain of them costs its length, not its
// length squared).
int drop_unused_conversions(ir::Graph& graph) {
  auto is_conversion = [&](ir::NodeId n) {
    const ir::Node& node = graph.nodes[static_cast<size_t>(n)];
    return !node.dead && (node.op == ir::OpKind::DequantizeLinear || node.op == ir::OpKind::QuantizeLinear);
  };
  std::vector<int> reads(graph.values.size(), 0);  // live node inputs and graph outputs
  for (const ir::Node& node : graph.nodes)
    if (!node.dead)
      for (ir::ValueId in : node.inputs)
        if (in != ir::kNoValue) ++reads[static_cast<size_t>(in)];
  for (ir::ValueId out : graph.outputs) ++reads[static_cast<size_t>(out)];
  std::vector<ir::NodeId> unread;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const ir::ValueId out = graph.nodes[n].outputs.empty() ? ir::kNoValue : graph.nodes[n].outputs[0];
    if (is_conversion(static_cast<ir::NodeId>(n)) && (out == ir::kNoValue || reads[static_cast<size_t>(out)] == 0))
      unread.push_back(static_cast<ir::NodeId>(n));
  }
  int dropped = 0;
  while (!unread.empty()) {
    const ir::NodeId n = unread.back();
    unread.pop_back();
    if (!is_conversion(n)) continue;
    ir::Node& node = graph.nodes[static_cast<size_t>(n)];
    node.dead = true;
    ++dropped;
    for (ir::ValueId in : node.inputs) {
      if (in == ir::kNoValue || --reads[static_cast<size_t>(in)] > 0) continue;
      const ir::NodeId p = graph.value(in).producer;
      if (p != ir::kNoNode && is_conversion(p) && graph.nodes[static_cast<size_t>(p)].outputs[0] == in)
        unread.push_back(p);
    }
  }
  return dropped;
}

// The DequantizeLinear nodes of constants still in the graph feed float ops no INT8 kernel
// took (fold_constants leaves them for this pass): fold them into float32 constants so that
// the FP32 kernels, which want constant weights, run those ops.
int fold_float_weights(ir::Graph& graph) {
  int folded = 0;
  const std::vector<char> is_output = graph.output_mask();
  for (ir::Node& node : graph.nodes) {
    if (node.dead || node.op != ir::OpKind::DequantizeLinear || node.outputs.empty() ||
        node.outputs[0] == ir::kNoValue || is_output[static_cast<size_t>(node.outputs[0])])
      continue;
    std::optional<Tensor> real = dequantize_constant(graph, node);
    if (!real) continue;
    ir::Value& out = graph.value(node.outputs[0]);
    out.data = std::make_shared<const Tensor>(std::move(*real));
    out.producer = ir::kNoNode;
    node.dead = true;
    ++folded;
  }
  return folded;
}

}  // namespace

std::string fold_qdq(ir::Graph& graph) {
  bool has_qdq = false;
  for (const ir::Node& n : graph.nodes)
    has_qdq = has_qdq || (!n.dead && n.op == ir::OpKind::DequantizeLinear);
  if (!has_qdq) return "";
  Context ctx(graph);
  std::map<std::string, int> counts;
  for (ir::NodeId n : graph.topological_order()) {
    if (ctx.node(n).dead) continue;
    const ir::OpKind op = ctx.node(n).op;
    for (const Rule& rule : rules()) {
      if (std::find(rule.ops.begin(), rule.ops.end(), op) == rule.ops.end()) continue;
      const std::optional<NodeGroup> group = rule.select(ctx, n);
      if (!group) continue;
      rule.apply(ctx, *group);
      ++counts[rule.name];
      break;
    }
  }
  const int dropped = drop_unused_conversions(graph);
  const int float_weights = fold_float_weights(graph);
  if (counts.empty() && dropped == 0 && float_weights == 0) return "";
  graph.compact();
  ir::verify(graph);
  std::string summary = "fold_qdq:";
  for (const auto& [name, count] : counts) summary += cat(" ", count, " ", name, ",");
  summary += cat(" ", dropped, " Q/DQ removed");
  if (float_weights > 0) summary += cat(", ", float_weights, " dequantized constants left to FP32 ops");
  return summary;
}

}  // namespace octet::passes
