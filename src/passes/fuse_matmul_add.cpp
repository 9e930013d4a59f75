// fuse_matmul_add: turns products with a constant weight into FullyConnected (X @ W + B,
// W [K, N], B [N]), the op the INT8 path quantizes per output column:
//
//   X -> MatMul(W const 2-D) -> Add(bias const, over the last dim) -> Y
//   =>  X -> FullyConnected(W, bias) -> Y        (no Add: FullyConnected(W) without B)
//
//   A -> Gemm(B const, C const [N] / [1,N] / scalar / absent; transA = 0) -> Y
//   =>  A -> FullyConnected(alpha * (transB ? B^T : B), beta * C) -> Y
//
// X must have rank >= 2 (FullyConnected keeps X's leading dims). A bias Add following a
// FullyConnected without B (from a Gemm without C, say) is absorbed the same way.
#include "octet/error.hpp"
#include "passes/pass_util.hpp"
#include "passes/passes.hpp"

namespace octet::passes {
namespace {

// The Add's other operand as a bias [N], when it only broadcasts along the last dim of `out`.
std::optional<std::vector<float>> bias_of(const ir::Graph& graph, const ir::Node& add, ir::ValueId out, int64_t n) {
  const ir::ValueId other = add.input(0) == out ? add.input(1) : add.input(0);
  if (add.input(0) == add.input(1)) return std::nullopt;
  const Tensor* b = f32_constant(graph, other);
  const ir::Value& y = graph.value(out);
  if (!b || !y.has_shape || b->shape.size() > y.shape.size()) return std::nullopt;
  for (size_t d = 0; d + 1 < b->shape.size(); ++d)
    if (b->shape[d] != 1) return std::nullopt;  // would broadcast over rows too
  if (b->numel() != n && b->numel() != 1) return std::nullopt;
  std::vector<float> bias(static_cast<size_t>(n));
  for (int64_t j = 0; j < n; ++j) bias[static_cast<size_t>(j)] = b->data<float>()[b->numel() == 1 ? 0 : j];
  return bias;
}

bool matmul_to_fc(ir::Graph& graph, ir::Node& node) {
  const Tensor* w = f32_constant(graph, node.input(1));
  const ir::Value& x = graph.value(node.input(0));
  if (!w || w->shape.size() != 2 || !x.has_shape || x.shape.size() < 2 || x.dtype != DType::kFloat32) return false;
  node.op = ir::OpKind::FullyConnected;
  node.inputs.resize(2);
  return true;
}

bool gemm_to_fc(ir::Graph& graph, ir::Node& node) {
  if (node.attr_int("transA", 0) != 0) return false;
  const Tensor* b = f32_constant(graph, node.input(1));
  const ir::Value& a = graph.value(node.input(0));
  if (!b || b->shape.size() != 2 || a.dtype != DType::kFloat32) return false;
  const bool trans_b = node.attr_int("transB", 0) != 0;
  const int64_t k = trans_b ? b->shape[1] : b->shape[0], n = trans_b ? b->shape[0] : b->shape[1];
  const Tensor* c = nullptr;
  if (node.input(2) != ir::kNoValue) {
    c = f32_constant(graph, node.input(2));
    if (!c || (c->numel() != n && c->numel() != 1)) return false;
    // [N], [1, N] or a scalar: one value per column (an [M, 1] or [M, N] C is not).
    if (c->shape.size() == 2 && c->shape[0] != 1) return false;
    if (c->shape.size() > 2) return false;
  }
  const float alpha = node.attr_float("alpha", 1.0f), beta = node.attr_float("beta", 1.0f);
  std::vector<float> w(static_cast<size_t>(k * n));
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = 0; j < n; ++j)
      w[static_cast<size_t>(i * n + j)] = alpha * b->data<float>()[trans_b ? j * k + i : i * n + j];
  const std::string base = node.name;
  ir::ValueId w_id = node.input(1);
  if (trans_b || alpha != 1.0f) w_id = add_f32(graph, base + ".weight", {k, n}, w);
  ir::ValueId b_id = ir::kNoValue;
  if (c) {
    std::vector<float> bias(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) bias[static_cast<size_t>(j)] = beta * c->data<float>()[c->numel() == 1 ? 0 : j];
    b_id = add_f32(graph, base + ".bias", {n}, bias);
  }
  node.op = ir::OpKind::FullyConnected;
  node.attrs.clear();
  node.inputs = {node.inputs[0], w_id};
  if (b_id != ir::kNoValue) node.inputs.push_back(b_id);
  return true;
}

}  // namespace

std::string fuse_matmul_add(ir::Graph& graph, const PassOptions& options) {
  using ir::OpKind;
  int from_matmul = 0, from_gemm = 0, adds = 0;
  Uses uses(graph);
  for (ir::NodeId n : graph.topological_order()) {
    ir::Node& node = graph.nodes[static_cast<size_t>(n)];
    // The conversions may swap the weight input for a transposed copy.
    if (node.op == OpKind::MatMul && matmul_to_fc(graph, node)) {
      ++from_matmul;
      uses.update({n});
    } else if (node.op == OpKind::Gemm && gemm_to_fc(graph, graph.nodes[static_cast<size_t>(n)])) {
      ++from_gemm;
      uses.update({n});
    }
    const ir::Node& fc = graph.nodes[static_cast<size_t>(n)];
    if (fc.op != OpKind::FullyConnected || fc.input(2) != ir::kNoValue || ir::has_fused_activation(fc))
      continue;
    const ir::NodeId a = uses.sole(fc.outputs[0]);
    if (a == ir::kNoNode || graph.nodes[static_cast<size_t>(a)].op != OpKind::Add) continue;
    const int64_t cols = graph.constant(fc.inputs[1])->shape[1];
    const auto bias = bias_of(graph, graph.nodes[static_cast<size_t>(a)], fc.outputs[0], cols);
    if (!bias) continue;
    const ir::ValueId b_id = add_f32(graph, fc.name + ".bias", {cols}, *bias);
    graph.nodes[static_cast<size_t>(n)].inputs.push_back(b_id);
    take_output(graph, n, a);
    uses.update({n, a});
    ++adds;
  }
  if (from_matmul + from_gemm == 0 && adds == 0) return "";
  return cat(from_matmul, " MatMul and ", from_gemm, " Gemm to FullyConnected, ", adds, " bias Add absorbed");
}

}  // namespace octet::passes
