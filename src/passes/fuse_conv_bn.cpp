// fuse_conv_bn: folds an inference BatchNormalization into the linear op before it:
//
//   X -> Conv(W, B) -> BatchNormalization(scale, bias, mean, var) -> Y
//   =>  X -> Conv(W * s, (B - mean) * s + bias) -> Y,   s = scale / sqrt(var + epsilon)
//
// for Conv, ConvTranspose, FusedConv (no activation or Sum yet), Gemm and FullyConnected
// (2-D outputs, so that BN's channel dim is the output's columns), when the producer's
// output feeds only the BN. New weight and bias constants are made; a tensor shared with
// another node is never changed. A BatchNormalization without such a producer stays.
#include <cmath>

#include "octet/error.hpp"
#include "passes/pass_util.hpp"
#include "passes/passes.hpp"

namespace octet::passes {
namespace {

struct Affine {
  std::vector<double> scale, shift;  // y = x * scale[c] + shift[c]
};

// The BN as a per-channel affine map, when it is in inference form with constant [C] params.
std::optional<Affine> bn_affine(const ir::Graph& graph, const Uses& uses, const ir::Node& bn) {
  if (bn.attr_int("training_mode", 0) != 0) return std::nullopt;
  for (size_t i = 1; i < bn.outputs.size(); ++i)
    if (!uses.unused(bn.outputs[i])) return std::nullopt;  // running statistics are read
  const Tensor* p[4];
  for (size_t i = 0; i < 4; ++i) {
    p[i] = f32_constant(graph, bn.input(i + 1));
    if (!p[i] || p[i]->shape.size() != 1 || p[i]->numel() != p[0]->numel()) return std::nullopt;
  }
  const double eps = bn.attr_float("epsilon", 1e-5f);
  Affine a;
  for (int64_t c = 0; c < p[0]->numel(); ++c) {
    const double s = p[0]->data<float>()[c] / std::sqrt(static_cast<double>(p[3]->data<float>()[c]) + eps);
    a.scale.push_back(s);
    a.shift.push_back(p[1]->data<float>()[c] - p[2]->data<float>()[c] * s);
  }
  return a;
}

// Scales weight elements: the channel of flat index i is channel_of(i).
template <class ChannelOf>
Tensor scaled(const Tensor& w, const Affine& a, ChannelOf channel_of) {
  Tensor r = w;
  float* d = r.data<float>();
  for (int64_t i = 0; i < r.numel(); ++i) d[i] = static_cast<float>(d[i] * a.scale[channel_of(i)]);
  return r;
}

// bias' [C] = bias * scale + shift (bias absent: 0).
std::vector<float> folded_bias(const Tensor* bias, const Affine& a) {
  std::vector<float> b(a.scale.size());
  for (size_t c = 0; c < b.size(); ++c)
    b[c] = static_cast<float>((bias ? bias->data<float>()[c] : 0.0) * a.scale[c] + a.shift[c]);
  return b;
}

// Folds into Conv, FusedConv or ConvTranspose; false when the weights do not fit.
bool fold_conv(ir::Graph& graph, ir::Node& conv, const Affine& a) {
  const Tensor* w = f32_constant(graph, conv.input(1));
  const Tensor* b = conv.input(2) == ir::kNoValue ? nullptr : f32_constant(graph, conv.input(2));
  const int64_t c_out = static_cast<int64_t>(a.scale.size());
  if (!w || w->shape.size() < 3 || (conv.input(2) != ir::kNoValue && (!b || b->numel() != c_out))) return false;
  const int64_t group = conv.attr_int("group", 1);
  const int64_t per_out = shape_numel(Shape(w->shape.begin() + 2, w->shape.end()));  // kernel elements
  Tensor w2;
  if (conv.op == ir::OpKind::ConvTranspose) {
    // W is [C_in, C_out / group, k...]; output channel = group_of(c_in) * (C_out / group) + j.
    const int64_t c_in = w->shape[0], out_per_group = w->shape[1];
    if (out_per_group * group != c_out || c_in % group != 0) return false;
    const int64_t in_per_group = c_in / group;
    w2 = scaled(*w, a, [&](int64_t i) {
      const int64_t ci = i / (out_per_group * per_out), j = (i / per_out) % out_per_group;
      return static_cast<size_t>((ci / in_per_group) * out_per_group + j);
    });
  } else {
    if (w->shape[0] != c_out) return false;
    const int64_t per_channel = w->numel() / c_out;
    w2 = scaled(*w, a, [&](int64_t i) { return static_cast<size_t>(i / per_channel); });
  }
  const ir::ValueId new_w = graph.add_constant(graph.value(conv.input(1)).name + ".bn", std::move(w2));
  const ir::ValueId new_b = add_f32(graph, conv.name + ".bn_bias", {c_out}, folded_bias(b, a));
  conv.inputs.resize(std::max<size_t>(conv.inputs.size(), 3), ir::kNoValue);
  conv.inputs[1] = new_w;
  conv.inputs[2] = new_b;
  return true;
}

// Folds into FullyConnected (W [K, N]) or Gemm (B [K, N] or, with transB, [N, K]).
bool fold_linear(ir::Graph& graph, ir::Node& node, const Affine& a) {
  const int64_t n = static_cast<int64_t>(a.scale.size());
  const Tensor* w = f32_constant(graph, node.input(1));
  if (!w || w->shape.size() != 2) return false;
  const bool gemm = node.op == ir::OpKind::Gemm;
  const bool rows_are_outputs = gemm && node.attr_int("transB", 0) != 0;
  if ((rows_are_outputs ? w->shape[0] : w->shape[1]) != n) return false;
  const int64_t cols = w->shape[1];
  Tensor w2 = scaled(*w, a, [&](int64_t i) { return static_cast<size_t>(rows_are_outputs ? i / cols : i % cols); });
  const ir::ValueId c_in = node.input(2);
  const Tensor* c = c_in == ir::kNoValue ? nullptr : f32_constant(graph, c_in);
  if (c_in != ir::kNoValue && !c) return false;
  ir::ValueId new_c;
  if (!gemm || !c || c->numel() == n || c->numel() == 1) {
    // A per-column (or scalar) bias: bias' [N].
    if (c && c->numel() != n && c->numel() != 1) return false;
    std::vector<float> bias(static_cast<size_t>(n), 0.0f);
    const float beta = gemm ? node.attr_float("beta", 1.0f) : 1.0f;
    for (int64_t j = 0; j < n; ++j)
      if (c) bias[static_cast<size_t>(j)] = beta * c->data<float>()[c->numel() == 1 ? 0 : j];
    const Tensor b = Tensor::from_vector<float>(DType::kFloat32, {n}, bias);
    new_c = add_f32(graph, node.name + ".bn_bias", {n}, folded_bias(&b, a));
  } else {
    // Gemm's C of shape [M, N] or [M, 1]: fold per element.
    if (c->shape.size() != 2 || (c->shape[1] != n && c->shape[1] != 1)) return false;
    const int64_t m = c->shape[0];
    const float beta = node.attr_float("beta", 1.0f);
    std::vector<float> data(static_cast<size_t>(m * n));
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        data[static_cast<size_t>(i * n + j)] = static_cast<float>(
            beta * c->data<float>()[i * c->shape[1] + (c->shape[1] == 1 ? 0 : j)] * a.scale[j] + a.shift[j]);
    new_c = add_f32(graph, node.name + ".bn_bias", {m, n}, data);
  }
  node.inputs.resize(std::max<size_t>(node.inputs.size(), 3), ir::kNoValue);
  node.inputs[1] = graph.add_constant(graph.value(node.input(1)).name + ".bn", std::move(w2));
  node.inputs[2] = new_c;
  if (gemm) node.attrs["beta"] = ir::Attribute::make_float(1.0f);
  return true;
}

}  // namespace

std::string fuse_conv_bn(ir::Graph& graph, const PassOptions& options) {
  using ir::OpKind;
  Uses uses(graph);
  int folded = 0;
  for (ir::NodeId n : graph.topological_order()) {
    if (graph.nodes[static_cast<size_t>(n)].op != OpKind::BatchNormalization) continue;
    const ir::ValueId x = graph.nodes[static_cast<size_t>(n)].input(0);
    const ir::NodeId p = x == ir::kNoValue ? ir::kNoNode : graph.value(x).producer;
    if (p == ir::kNoNode || uses.sole(x) != n || graph.nodes[static_cast<size_t>(p)].outputs[0] != x) continue;
    const auto affine = bn_affine(graph, uses, graph.nodes[static_cast<size_t>(n)]);
    if (!affine) continue;
    ir::Node& prod = graph.nodes[static_cast<size_t>(p)];
    const ir::Value& xv = graph.value(x);
    bool done = false;
    switch (prod.op) {
      case OpKind::Conv: case OpKind::ConvTranspose:
        done = fold_conv(graph, prod, *affine);
        break;
      case OpKind::FusedConv:
        // The BN must come after an activation or a Sum, which the weights cannot carry.
        if (!ir::has_fused_activation(prod) && prod.input(3) == ir::kNoValue)
          done = fold_conv(graph, prod, *affine);
        break;
      case OpKind::Gemm: case OpKind::FullyConnected:
        if (xv.has_shape && xv.shape.size() == 2 && !ir::has_fused_activation(prod))
          done = fold_linear(graph, graph.nodes[static_cast<size_t>(p)], *affine);
        break;
      default:
        break;
    }
    if (!done) continue;
    take_output(graph, p, n);
    uses.update({p, n});
    ++folded;
  }
  if (folded == 0) return "";
  return cat(folded, " BatchNormalization folded");
}

}  // namespace octet::passes
