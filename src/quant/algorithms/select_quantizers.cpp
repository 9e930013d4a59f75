// Which tensors and weights get quantized (see quant_setup.hpp), by the rows of
// ir/qdq/int8_patterns.def, the table the engine's QDQ folder reads too: an op without a row
// stays FP32, because octet would run it in float between the Q/DQ pair and pay the accuracy
// for nothing. First every weighted layer quantizes its activation inputs and weights; then,
// walking the graph backwards so that downstream quantizers exist, pools, Concat, data
// movement and residual Add get quantizers on their inputs, so the INT8 path does not break
// there:
//
//   Conv -> Q/DQ -> MaxPool -> Q/DQ -> Conv        (pool input and output share the scale)
//   a -> Q/DQ --+
//   b -> Q/DQ ---> Concat -> Q/DQ -> Conv            (all inputs and the output share it)
//   conv -> Q/DQ --+
//   skip -> Q/DQ ---> Add -> Relu -> Q/DQ -> Conv    (each summand keeps its own scale; CNN mode)
//
// The summands of an Add do not share a scale: octet's engine folds the Add into the QConv
// producing one summand as a sum post-op with the other's own scale and zero point, and ONNX
// Runtime's QLinearAdd takes three scales. Sharing one would widen a ReLU'd skip tensor to the
// signed range of the other branch (a bit lost in `performance`, where it also turns uint8 into
// int8) and give its QuantizeLinear a zero point ORT does not recognise as a ReLU's clamp.
#include <algorithm>
#include <fnmatch.h>
#include <functional>
#include <set>

#include "ir/qdq/int8_patterns.hpp"
#include "octet/error.hpp"
#include "quant/algorithms/quant_setup.hpp"

namespace octet::quant {
namespace {

using ir::OpKind;

using ir::qdq::Int8Family;

// Ops quantization passes through (int8_patterns.def's kMovement rows).
bool is_data_movement(OpKind op) { return ir::qdq::is_int8_family(op, Int8Family::kMovement); }

bool is_float_activation(const ir::Graph& g, ir::ValueId v) {
  return v != ir::kNoValue && !g.value(v).is_constant() && g.value(v).dtype == DType::kFloat32;
}

bool is_float_constant(const ir::Graph& g, ir::ValueId v) {
  return v != ir::kNoValue && g.value(v).is_constant() && g.value(v).data->dtype == DType::kFloat32;
}

struct Selector {
  const ir::Graph& g;
  const QuantizeOptions& options;
  QuantSetup& setup;
  std::vector<std::vector<ir::NodeId>> users;
  std::vector<int> pattern_hits;

  const ir::Node& node(ir::NodeId n) const { return g.nodes[static_cast<size_t>(n)]; }

  // The ignored-scope entry matching the node, or "".
  std::string ignored_by(const ir::Node& n) {
    for (size_t i = 0; i < options.ignored.size(); ++i)
      if (matches_ignored(n, options.ignored[i])) {
        ++pattern_hits[i];
        return options.ignored[i];
      }
    return "";
  }

  // Walks up from v through data movement and scaling by a constant; true if it starts at a
  // Softmax (attention probabilities).
  bool from_softmax(ir::ValueId v) const {
    for (int depth = 0; depth < 16 && v != ir::kNoValue; ++depth) {
      const ir::NodeId p = g.value(v).producer;
      if (p == ir::kNoNode) return false;
      const ir::Node& n = node(p);
      if (n.op == OpKind::Softmax) return true;
      const bool scale = (n.op == OpKind::Mul || n.op == OpKind::Div) && g.constant(n.input(1)) != nullptr;
      if (!is_data_movement(n.op) && !scale && n.op != OpKind::Cast) return false;
      v = n.input(0);
    }
    return false;
  }

  bool graph_has_attention() const {
    for (const ir::Node& n : g.nodes)
      if (!n.dead && n.op == OpKind::MatMul && (from_softmax(n.input(0)) || from_softmax(n.input(1)))) return true;
    return false;
  }

  // Quantizers on v or on values reachable from it through data movement (and, for
  // `through_activations`, Relu and Clip): what follows an op in INT8.
  std::vector<int> downstream(ir::ValueId v, bool through_activations) {
    std::vector<int> found;
    std::vector<ir::ValueId> todo = {v};
    std::set<ir::ValueId> seen;
    while (!todo.empty()) {
      const ir::ValueId cur = todo.back();
      todo.pop_back();
      if (!seen.insert(cur).second) continue;
      if (int q = setup.quantizer_of(cur); q >= 0 && !setup.activations[static_cast<size_t>(q)].uses.empty())
        found.push_back(q);
      for (ir::NodeId u : users[static_cast<size_t>(cur)]) {
        const ir::Node& n = node(u);
        const bool pass = is_data_movement(n.op) ||
                          (through_activations && (n.op == OpKind::Relu || n.op == OpKind::Clip));
        if (pass && n.input(0) == cur && !n.outputs.empty() && n.outputs[0] != ir::kNoValue) todo.push_back(n.outputs[0]);
      }
    }
    return found;
  }

  void add_use(int q, ir::NodeId n, int input) {
    auto& uses = setup.activations[static_cast<size_t>(q)].uses;
    const std::pair<ir::NodeId, int> use{n, input};
    if (std::find(uses.begin(), uses.end(), use) == uses.end()) uses.push_back(use);
  }

  void select_layer(ir::NodeId id) {
    const ir::Node& n = node(id);
    LayerQuantizer layer;
    layer.node = id;
    std::vector<int> act_inputs;
    auto refuse = [&](std::string why) {
      layer.quantized = false;
      layer.reason = std::move(why);
    };
    const std::string ignored = ignored_by(n);
    const bool has_row = ir::qdq::is_int8_family(n.op, Int8Family::kWeightedLayer);
    switch (n.op) {
      case OpKind::FusedConv:  // every Conv, after fuse_conv_activation
      case OpKind::Conv: {
        layer.reduction.kind = ReductionLayout::Kind::kConv;
        layer.reduction.groups = n.attr_int("group", 1);
        if (!is_float_constant(g, n.input(1)) || g.value(n.input(1)).shape.size() < 3) {
          refuse("its weights are not a float constant");
          break;
        }
        layer.weight_input = 1;
        if (is_float_constant(g, n.input(2))) layer.bias_input = 2;
        act_inputs = {0};
        if (n.op == OpKind::FusedConv && n.input(3) != ir::kNoValue) act_inputs.push_back(3);
        break;
      }
      case OpKind::ConvTranspose:
        refuse("no INT8 kernel for ConvTranspose in octet (ir/qdq/int8_patterns.def): it stays FP32");
        break;
      case OpKind::FullyConnected:
      case OpKind::Gemm:
      case OpKind::MatMul: {
        const bool gemm = n.op == OpKind::Gemm;
        if (gemm && n.attr_int("transA", 0) != 0) { refuse("Gemm with transA is not quantized"); break; }
        const ir::ValueId a = n.input(0), b = n.input(1);
        if (g.value(a).is_constant()) { refuse("its first operand is a constant"); break; }
        if (g.value(b).is_constant()) {
          if (!is_float_constant(g, b) || g.value(b).shape.size() != 2) {
            refuse("its weights are not a 2-D float constant");
            break;
          }
          layer.weight_input = 1;
          layer.reduction.kind = gemm && n.attr_int("transB", 0) != 0 ? ReductionLayout::Kind::kMatMulNK
                                                                       : ReductionLayout::Kind::kMatMul;
          const ir::ValueId c = n.input(2);
          const bool unit_gemm = !gemm || (n.attr_float("alpha", 1.0f) == 1.0f && n.attr_float("beta", 1.0f) == 1.0f);
          const int64_t out_channels = g.value(b).shape[layer.weight_axis()];
          if (n.op != OpKind::MatMul && unit_gemm && is_float_constant(g, c) && g.value(c).data->numel() == out_channels)
            layer.bias_input = 2;
          act_inputs = {0};
        } else {
          // An activation x activation product (attention scores or context).
          refuse("a product of two activations: no INT8 kernel for it in octet (ir/qdq/int8_patterns.def), it stays FP32");
        }
        break;
      }
      // Listed so the report says they stay FP32: octet has no INT8 recurrent kernel, and a
      // body's tensors are not visible to calibration, so its MatMul/Conv get no ranges.
      case OpKind::If: case OpKind::Loop: case OpKind::Scan:
        refuse("control flow: its subgraphs run in FP32");
        break;
      case OpKind::RNN: case OpKind::GRU: case OpKind::LSTM:
        refuse("recurrent layer: runs in FP32 (octet has no INT8 form of it)");
        break;
      default:
        return;
    }
    if (layer.quantized && !has_row)  // the switch above and the table disagree: a bug in octet
      fail(n.describe(), ": select_quantizers would quantize it, but int8_patterns.def has no weighted-layer row for ",
           ir::op_name(n.op));
    if (layer.quantized && !ignored.empty()) refuse(cat("in the ignored scope ('", ignored, "')"));
    for (int i : act_inputs)
      if (layer.quantized && !is_float_activation(g, n.input(static_cast<size_t>(i))))
        refuse(cat("input ", i, " is not a float32 tensor"));
    if (layer.quantized) {
      for (int i : act_inputs) {
        const ir::ValueId v = n.input(static_cast<size_t>(i));
        const int q = setup.ensure_quantizer(v);
        add_use(q, id, i);
        ActivationQuantizer& aq = setup.activations[static_cast<size_t>(q)];
        const bool conv_like = n.op == OpKind::FusedConv || n.op == OpKind::Conv;
        if (aq.channel_axis < 0 && i == 0)
          aq.channel_axis = conv_like ? 1 : static_cast<int>(g.value(v).shape.size()) - 1;
        layer.activations.push_back(q);
      }
    }
    setup.layers.push_back(std::move(layer));
  }

  void propagate(ir::NodeId id) {
    const ir::Node& n = node(id);
    // kAveragePool, kSharedScale and kMovement rows: every data input shares the output's
    // scale. For data movement that puts the quantizer on the tensor the producing layer
    // writes, so it writes INT8 and the movement runs on it (Conv -> Q -> DQ -> Flatten -> Q
    // -> DQ -> Gemm), instead of writing float for a QuantizeLinear after the Flatten. ONNX
    // Runtime also runs DQ -> Reshape/Transpose -> Q with one scale on 8-bit data.
    const bool movement = is_data_movement(n.op);
    const bool shared = movement || ir::qdq::is_int8_family(n.op, Int8Family::kAveragePool) ||
                        ir::qdq::is_int8_family(n.op, Int8Family::kSharedScale);
    const bool add = ir::qdq::is_int8_family(n.op, Int8Family::kResidualAdd) && !setup.transformer;
    if (!shared && !add) return;
    if (n.outputs.empty() || n.outputs[0] == ir::kNoValue) return;
    if (!ignored_by(n).empty()) return;
    if (n.outputs.size() > 1 && n.outputs[1] != ir::kNoValue) return;  // MaxPool indices
    const std::vector<int> after = downstream(n.outputs[0], add);
    if (after.empty()) return;
    std::vector<size_t> inputs;
    if (shared) for (size_t i = 0; i < (movement ? 1 : n.inputs.size()); ++i) inputs.push_back(i);  // not shape or axes
    if (add) {
      // A residual sum: two activations of the same shape (no broadcast of a bias or constant).
      if (n.inputs.size() != 2 || g.value(n.input(0)).shape != g.value(n.input(1)).shape) return;
      inputs = {0, 1};
    }
    for (size_t i : inputs)
      if (!is_float_activation(g, n.input(i))) return;
    UnifyGroup group;
    group.why = n.describe();
    for (size_t i : inputs) {
      const int q = setup.ensure_quantizer(n.input(i));
      add_use(q, id, static_cast<int>(i));
      group.members.push_back(q);
    }
    if (add) return;  // each summand keeps its own scale (see the top of the file)
    group.members.insert(group.members.end(), after.begin(), after.end());
    setup.groups.push_back(std::move(group));
  }
};

}  // namespace

int QuantSetup::quantizer_of(ir::ValueId v) const {
  for (size_t i = 0; i < activations.size(); ++i)
    if (activations[i].value == v) return static_cast<int>(i);
  return -1;
}

int QuantSetup::ensure_quantizer(ir::ValueId v) {
  if (int q = quantizer_of(v); q >= 0) return q;
  ActivationQuantizer a;
  a.value = v;
  activations.push_back(a);
  return static_cast<int>(activations.size() - 1);
}

void QuantSetup::revert_layer(size_t index, const std::string& reason) {
  LayerQuantizer& layer = layers.at(index);
  for (int q : layer.activations) {
    auto& uses = activations[static_cast<size_t>(q)].uses;
    uses.erase(std::remove_if(uses.begin(), uses.end(), [&](const auto& u) { return u.first == layer.node; }),
               uses.end());
  }
  layer.activations.clear();
  layer.quantized = false;
  layer.reason = reason;
  layer.weights = {};
  layer.bias = {};
}

bool matches_ignored(const ir::Node& node, const std::string& pattern) {
  if (pattern.empty()) return false;
  // PyTorch exports name nodes "/head/Gemm": a pattern without the leading '/' ("head*",
  // "head/Gemm") matches them too, as POT's scopes are written.
  const bool rooted = node.name.size() > 1 && node.name[0] == '/' && pattern[0] != '/';
  const std::string name = rooted ? node.name.substr(1) : node.name;
  if (node.name == pattern || name == pattern) return true;
  const bool glob = pattern.find_first_of("*?[") != std::string::npos;
  if (glob && (fnmatch(pattern.c_str(), node.name.c_str(), 0) == 0 || fnmatch(pattern.c_str(), name.c_str(), 0) == 0))
    return true;
  const std::string op = ir::op_name(node.op);
  if (op == pattern) return true;
  if (node.op == OpKind::FusedConv && pattern == "Conv") return true;
  if (node.op == OpKind::FullyConnected && (pattern == "MatMul" || pattern == "Gemm")) return true;
  return false;
}

QuantSetup select_quantizers(const ir::Graph& graph, const QuantizeOptions& options) {
  QuantSetup setup;
  Selector s{graph, options, setup, graph.consumers(), std::vector<int>(options.ignored.size(), 0)};
  setup.transformer = options.model_type == ModelType::kTransformer ||
                      (options.model_type == ModelType::kAuto && s.graph_has_attention());
  const std::vector<ir::NodeId> order = graph.topological_order();
  for (ir::NodeId id : order) s.select_layer(id);
  for (auto it = order.rbegin(); it != order.rend(); ++it) s.propagate(*it);
  for (size_t i = 0; i < options.ignored.size(); ++i)
    if (s.pattern_hits[i] == 0)
      setup.warnings.push_back(cat("ignored-scope entry '", options.ignored[i], "' matches no node"));
  return setup;
}

}  // namespace octet::quant
