// Node costs for parallelism and ranking; see cost.hpp.
#include "ir/cost.hpp"

#include <algorithm>

namespace octet::ir {
namespace {

double numel_of(const Graph& g, ValueId v) {
  if (v == kNoValue || !g.value(v).has_shape) return 0;
  double n = 1;
  for (int64_t d : g.value(v).shape) n *= static_cast<double>(std::max<int64_t>(d, 1));
  return n;
}

// Product of dims 1.. of a weight shape: the window one output (Conv) or one input
// (ConvTranspose) element multiplies.
double per_element(const Shape& w) {
  double n = 1;
  for (size_t i = 1; i < w.size(); ++i) n *= static_cast<double>(w[i]);
  return n;
}

}  // namespace

double node_macs(const Graph& g, const Node& n) {
  if (n.outputs.empty() || n.input(1) == kNoValue) return 0;
  switch (n.op) {
    case OpKind::Conv:
    case OpKind::FusedConv:
    case OpKind::QConv:  // W [Cout, Cin/group, k...]
      return numel_of(g, n.outputs[0]) * per_element(g.value(n.input(1)).shape);
    case OpKind::ConvTranspose:  // W [Cin, Cout/group, k...]
      return numel_of(g, n.input(0)) * per_element(g.value(n.input(1)).shape);
    case OpKind::MatMul:
    case OpKind::Gemm:
    case OpKind::FullyConnected:
    case OpKind::QFullyConnected: {
      const Value& a = g.value(n.input(0));
      if (!a.has_shape || a.shape.empty()) return 0;
      const bool trans_a = n.op == OpKind::Gemm && n.attr_int("transA", 0) != 0;
      const int64_t k = trans_a ? a.shape[0] : a.shape.back();
      return numel_of(g, n.outputs[0]) * static_cast<double>(std::max<int64_t>(k, 1));
    }
    default:
      return 0;
  }
}

double node_output_elements(const Graph& g, const Node& n) {
  double total = 0;
  for (ValueId out : n.outputs) total += numel_of(g, out);
  return total;
}

}  // namespace octet::ir
