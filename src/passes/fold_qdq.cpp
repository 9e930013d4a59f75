// fold_qdq's driver: one walk in topological order trying, per node, the row of
// ir/qdq/int8_patterns.def anchored on its op type (the table the quantizer places Q/DQ by),
// then the removal of DequantizeLinear/QuantizeLinear nodes nothing reads any more. Each row
// is built by the selector and action of the op it becomes (qdq_rules.hpp), as ONNX
// Runtime's qdq_transformer pairs selectors with actions.
//
//   ... -> Q -> x_q -> DQ -> Conv -> Relu -> Q -> y_q -> DQ -> MaxPool -> Q -> ...
//   =>  ... -> Q -> x_q -> QConv(Relu) -> y_q -> MaxPool -> ...
#include "passes/fold_qdq.hpp"

#include <map>

#include "octet/error.hpp"
#include "passes/qdq_rules.hpp"

namespace octet::passes {
namespace {

using namespace qdq;
using ir::qdq::Int8Family;
using ir::qdq::Int8Pattern;

struct Builder {
  const char* name;  // for the pass log
  Selector select;
  Action apply;
};

// How the folder builds a row: by the INT8 op it becomes, or, for the rows that run their
// anchor on the quantized tensor, by sinking the DequantizeLinear below it.
Builder builder_for(const Int8Pattern& row) {
  switch (row.becomes) {
    case ir::OpKind::QConv: return {"QConv", select_conv, make_qconv};
    case ir::OpKind::QFullyConnected: return {"QFullyConnected", select_fully_connected, make_qfully_connected};
    case ir::OpKind::QAdd: return {"residual Add", select_add, make_residual_add};
    case ir::OpKind::QAveragePool: return {"QAveragePool", select_average_pool, make_qaverage_pool};
    default: break;
  }
  if (row.becomes == row.anchor && (row.family == Int8Family::kSharedScale || row.family == Int8Family::kMovement))
    return {"int8 data movement", select_movement, sink_dq_below};
  fail("int8_patterns.def: fold_qdq has no way to build the row anchored on ", ir::op_name(row.anchor), " (",
       ir::qdq::family_name(row.family), " -> ", ir::op_name(row.becomes), ")");
}

// One builder per op kind with a row, resolved once. QuantizeLinear has no row (it is no INT8
// pattern) but one simplification: Q(DQ(q)) with one quantization is q.
const Builder* builder_of(ir::OpKind op) {
  static const std::map<ir::OpKind, Builder> by_op = [] {
    std::map<ir::OpKind, Builder> m;
    for (const Int8Pattern& row : ir::qdq::int8_patterns()) m.emplace(row.anchor, builder_for(row));
    m.emplace(ir::OpKind::QuantizeLinear, Builder{"Q(DQ) cancelled", select_q_of_dq, drop_q_of_dq});
    return m;
  }();
  const auto it = by_op.find(op);
  return it == by_op.end() ? nullptr : &it->second;
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

// "Softmax 'attn/softmax'"
std::string op_and_name(const ir::Node& n) { return cat(ir::op_name(n.op), " '", n.name, "'"); }

}  // namespace

std::vector<UnfoldedConversion> unfolded_conversions(const ir::Graph& graph) {
  std::vector<UnfoldedConversion> left;
  const std::vector<std::vector<ir::NodeId>> users = graph.consumers();
  const std::vector<char> is_output = graph.output_mask();
  // An op with a row still reading dequantized data on every input that is not a constant:
  // the quantizer's Q/DQ reached it, and the folder did not take it.
  auto missed = [&](const ir::Node& c) {
    if (ir::qdq::int8_pattern_of(c.op) == nullptr) return false;
    for (ir::ValueId in : c.inputs) {
      if (in == ir::kNoValue || graph.value(in).is_constant()) continue;
      const ir::NodeId p = graph.value(in).producer;
      if (p == ir::kNoNode || graph.nodes[static_cast<size_t>(p)].op != ir::OpKind::DequantizeLinear) return false;
    }
    return true;
  };
  for (const ir::Node& n : graph.nodes) {
    if (n.dead || n.outputs.empty() || n.inputs.empty()) continue;
    if (n.op == ir::OpKind::QuantizeLinear) {
      const ir::Value& x = graph.value(n.input(0));
      if (x.producer == ir::kNoNode) {
        left.push_back({n.name, cat("quantizes graph input '", x.name, "'"), false});
        continue;
      }
      // A miss shows on the DequantizeLinear side, where the op reads dequantized data.
      left.push_back({n.name, cat("quantizes the output of ", op_and_name(graph.nodes[static_cast<size_t>(x.producer)])), false});
    } else if (n.op == ir::OpKind::DequantizeLinear) {
      const ir::ValueId y = n.outputs[0];
      if (y == ir::kNoValue) continue;
      if (is_output[static_cast<size_t>(y)]) left.push_back({n.name, cat("gives graph output '", graph.value(y).name, "'"), false});
      for (ir::NodeId u : users[static_cast<size_t>(y)]) {
        const ir::Node& c = graph.nodes[static_cast<size_t>(u)];
        if (c.dead) continue;
        const bool miss = missed(c);
        const char* why = miss ? ", an INT8 pattern the folder did not match"
                          : ir::qdq::int8_pattern_of(c.op) ? ", whose other inputs are float"
                                                            : ", which has no INT8 pattern";
        left.push_back({n.name, cat("feeds ", op_and_name(c), why), miss});
      }
    }
  }
  return left;
}

std::string fold_qdq(ir::Graph& graph) {
  bool has_qdq = false;
  for (const ir::Node& n : graph.nodes)
    has_qdq = has_qdq || (!n.dead && n.op == ir::OpKind::DequantizeLinear);
  if (!has_qdq) return "";
  Context ctx(graph);
  std::map<std::string, int> counts;
  for (ir::NodeId n : graph.topological_order()) {
    if (ctx.node(n).dead) continue;
    const Builder* builder = builder_of(ctx.node(n).op);
    if (builder == nullptr) continue;
    const std::optional<NodeGroup> group = builder->select(ctx, n);
    if (!group) continue;
    builder->apply(ctx, *group);
    ++counts[builder->name];
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
