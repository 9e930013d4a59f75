// Lowers octet's internal ops back to standard ONNX for export, at the graph's opset:
//
//   FusedConv(X, W, B, Sum; act)  ->  Conv(X, W, B) [-> Add(., Sum)] [-> activation op(s)]
//   FullyConnected(X, W, B; act)  ->  Gemm(X, W, B) when X is 2-D, else MatMul(X, W) [-> Add(., B)]
//                                     [-> activation op(s)]
//
// Activations: Relu, LeakyRelu, Sigmoid, Tanh, HardSigmoid as themselves; Clip with min/max as
// inputs (opset >= 11) or attributes; HardSwish as itself from opset 14, else
// x * HardSigmoid(alpha = 1/6, beta = 0.5)(x); Swish as x * Sigmoid(x); Gelu (an ONNX op only
// from opset 20) as 0.5 * x * (1 + Erf(x / sqrt 2)).
#include <cmath>

#include "ir/fused_activation.hpp"
#include "octet/error.hpp"
#include "onnx/writer.hpp"

namespace octet::onnx_io {
namespace {

using ir::OpKind;
using ir::ValueId;

struct Lowering {
  ir::Graph& g;
  std::string base;  // names of new nodes and values derive from the lowered node's name

  // A new intermediate value shaped like `like`.
  ValueId temp(ValueId like, const std::string& suffix) {
    ir::Value v;
    v.name = g.unique_value_name(base + suffix);
    v.dtype = g.value(like).dtype;
    v.shape = g.value(like).shape;
    v.has_shape = g.value(like).has_shape;
    v.dim_params = g.value(like).dim_params;
    return g.add_value(std::move(v));
  }

  ValueId scalar(const std::string& suffix, float x) {
    return g.add_constant(base + suffix, Tensor::from_vector<float>(DType::kFloat32, {}, {x}));
  }

  void node(OpKind op, const std::string& suffix, std::vector<ValueId> inputs, ValueId output,
            std::map<std::string, ir::Attribute> attrs = {}) {
    ir::Node n;
    n.name = g.unique_node_name(base + suffix);
    n.op = op;
    n.inputs = std::move(inputs);
    n.outputs = {output};
    n.attrs = std::move(attrs);
    g.add_node(std::move(n));
  }

  // Emits `a` applied to x, writing y.
  void activation(const ir::FusedActivation& a, ValueId x, ValueId y) {
    using A = ir::Attribute;
    using K = ir::ActivationKind;
    switch (a.kind) {
      case K::kNone: fail("lowering '", base, "': no activation to emit");
      case K::kRelu: return node(OpKind::Relu, "_relu", {x}, y);
      case K::kSigmoid: return node(OpKind::Sigmoid, "_sigmoid", {x}, y);
      case K::kTanh: return node(OpKind::Tanh, "_tanh", {x}, y);
      case K::kLeakyRelu: return node(OpKind::LeakyRelu, "_leakyrelu", {x}, y, {{"alpha", A::make_float(a.alpha)}});
      case K::kHardSigmoid:
        return node(OpKind::HardSigmoid, "_hardsigmoid", {x}, y,
                    {{"alpha", A::make_float(a.alpha)}, {"beta", A::make_float(a.beta)}});
      case K::kClip:
        if (g.opset >= 11)
          return node(OpKind::Clip, "_clip", {x, scalar("_clip_min", a.alpha), scalar("_clip_max", a.beta)}, y);
        return node(OpKind::Clip, "_clip", {x}, y, {{"min", A::make_float(a.alpha)}, {"max", A::make_float(a.beta)}});
      case K::kHardSwish: {
        if (g.opset >= 14) return node(OpKind::HardSwish, "_hardswish", {x}, y);
        const ValueId h = temp(x, "_hardsigmoid");
        node(OpKind::HardSigmoid, "_hardsigmoid", {x}, h,
             {{"alpha", A::make_float(1.0f / 6.0f)}, {"beta", A::make_float(0.5f)}});
        return node(OpKind::Mul, "_hardswish", {x, h}, y);
      }
      case K::kSwish: {
        const ValueId s = temp(x, "_sigmoid");
        node(OpKind::Sigmoid, "_sigmoid", {x}, s);
        return node(OpKind::Mul, "_swish", {x, s}, y);
      }
      case K::kGelu: {
        const ValueId d = temp(x, "_gelu_div"), e = temp(x, "_gelu_erf"), ad = temp(x, "_gelu_add"),
                      m = temp(x, "_gelu_mul");
        node(OpKind::Div, "_gelu_div", {x, scalar("_sqrt2", static_cast<float>(std::sqrt(2.0)))}, d);
        node(OpKind::Erf, "_gelu_erf", {d}, e);
        node(OpKind::Add, "_gelu_add", {e, scalar("_one", 1.0f)}, ad);
        node(OpKind::Mul, "_gelu_mul", {x, ad}, m);
        return node(OpKind::Mul, "_gelu", {m, scalar("_half", 0.5f)}, y);
      }
    }
  }
};

void lower_fused_conv(ir::Graph& g, size_t index) {
  ir::Node& conv = g.nodes[index];
  const ir::FusedActivation act = ir::read_fused_activation(conv);
  const ValueId sum = conv.input(3), y = conv.outputs.at(0);
  Lowering l{g, conv.name};
  conv.op = OpKind::Conv;
  conv.attrs.erase("activation");
  conv.attrs.erase("alpha");
  conv.attrs.erase("beta");
  conv.inputs.resize(std::min<size_t>(conv.inputs.size(), 3));
  while (!conv.inputs.empty() && conv.inputs.back() == ir::kNoValue) conv.inputs.pop_back();
  if (sum == ir::kNoValue && act.none()) return;
  // Conv -> [Add Sum] -> [activation] -> y: every step but the last writes a new value.
  ValueId cur = l.temp(y, "_conv");
  g.nodes[index].outputs[0] = cur;
  g.value(cur).producer = static_cast<ir::NodeId>(index);
  if (sum != ir::kNoValue) {
    const ValueId next = act.none() ? y : l.temp(y, "_sum");
    l.node(OpKind::Add, "_sum", {cur, sum}, next);
    cur = next;
  }
  if (!act.none()) l.activation(act, cur, y);
}

void lower_fully_connected(ir::Graph& g, size_t index) {
  ir::Node& fc = g.nodes[index];
  const ir::FusedActivation act = ir::read_fused_activation(fc);
  const ValueId x = fc.input(0), w = fc.input(1), b = fc.input(2), y = fc.outputs.at(0);
  Lowering l{g, fc.name};
  const ir::Value& xv = g.value(x);
  // Gemm needs C before opset 11; a FullyConnected without B takes MatMul then.
  const bool gemm = xv.has_shape && xv.shape.size() == 2 && (b != ir::kNoValue || g.opset >= 11);
  fc.attrs.clear();
  ValueId cur = act.none() ? y : l.temp(y, "_fc");
  if (gemm) {
    fc.op = OpKind::Gemm;
    fc.inputs = b == ir::kNoValue ? std::vector<ValueId>{x, w} : std::vector<ValueId>{x, w, b};
  } else {
    fc.op = OpKind::MatMul;
    fc.inputs = {x, w};
    if (b != ir::kNoValue) {
      const ValueId product = l.temp(y, "_matmul");
      g.nodes[index].outputs[0] = product;
      g.value(product).producer = static_cast<ir::NodeId>(index);
      l.node(OpKind::Add, "_bias", {product, b}, cur);
    }
  }
  if (gemm || b == ir::kNoValue) {
    g.nodes[index].outputs[0] = cur;
    g.value(cur).producer = static_cast<ir::NodeId>(index);
  }
  if (!act.none()) l.activation(act, cur, y);
}

}  // namespace

void lower_internal_ops(ir::Graph& graph) {
  const size_t count = graph.nodes.size();  // nodes added here are standard already
  for (size_t i = 0; i < count; ++i) {
    const ir::Node& node = graph.nodes[i];
    if (node.dead || !ir::op_is_internal(node.op)) continue;
    if (node.op == OpKind::FusedConv) lower_fused_conv(graph, i);
    else if (node.op == OpKind::FullyConnected) lower_fully_connected(graph, i);
    else
      fail(node.describe(), ": octet's internal op ", ir::op_name(node.op),
           " has no standard ONNX form; save the model before its QDQ pairs are folded into INT8 ops");
  }
}

}  // namespace octet::onnx_io
