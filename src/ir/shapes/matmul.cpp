// Shape functions of the matrix products: MatMul (NumPy matmul: 1-D operands promoted and
// the added dim removed again, batch dims broadcast), Gemm (transA/transB) and the internal
// FullyConnected (X.shape[:-1] + [N], W being [K, N]).
#include "ir/shapes/shape_util.hpp"
#include "octet/error.hpp"

namespace octet::ir::shapes {
namespace {

// Checks that two contraction dims agree when both are known.
void check_k(const Node& node, int64_t ka, int64_t kb, const Shape& a, const Shape& b) {
  if (ka >= 0 && kb >= 0 && ka != kb)
    fail(node.describe(), ": inner dims of ", shape_str(a), " and ", shape_str(b), " differ");
}

void matmul(Graph& graph, const Node& node) {
  const Value& av = input_value(graph, node, 0);
  const Value& bv = input_value(graph, node, 1);
  Shape a = av.shape, b = bv.shape;
  if (a.empty() || b.empty()) fail(node.describe(), ": MatMul operands cannot be scalars");
  const bool a_vec = a.size() == 1, b_vec = b.size() == 1;
  if (a_vec) a.insert(a.begin(), 1);
  if (b_vec) b.push_back(1);
  check_k(node, a.back(), b[b.size() - 2], av.shape, bv.shape);
  Shape batch = broadcast(node, Shape(a.begin(), a.end() - 2), Shape(b.begin(), b.end() - 2));
  if (!a_vec) batch.push_back(a[a.size() - 2]);
  if (!b_vec) batch.push_back(b.back());
  set_output(graph, node, 0, av.dtype, batch);
}

void gemm(Graph& graph, const Node& node) {
  const Value& av = input_value(graph, node, 0);
  const Value& bv = input_value(graph, node, 1);
  if (av.shape.size() != 2 || bv.shape.size() != 2)
    fail(node.describe(), ": Gemm needs 2-D A and B, got ", shape_str(av.shape), " and ", shape_str(bv.shape));
  const bool ta = node.attr_int("transA", 0) != 0, tb = node.attr_int("transB", 0) != 0;
  const int64_t m = ta ? av.shape[1] : av.shape[0], ka = ta ? av.shape[0] : av.shape[1];
  const int64_t kb = tb ? bv.shape[1] : bv.shape[0], n = tb ? bv.shape[0] : bv.shape[1];
  check_k(node, ka, kb, av.shape, bv.shape);
  set_output(graph, node, 0, av.dtype, {m, n});
}

void fully_connected(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const Value& w = input_value(graph, node, 1);
  if (x.shape.size() < 2 || w.shape.size() != 2)
    fail(node.describe(), ": FullyConnected needs X of rank >= 2 and a 2-D W, got ", shape_str(x.shape), " and ",
         shape_str(w.shape));
  check_k(node, x.shape.back(), w.shape[0], x.shape, w.shape);
  Shape out(x.shape.begin(), x.shape.end() - 1);
  out.push_back(w.shape[1]);
  set_output(graph, node, 0, x.dtype, out);
}

}  // namespace

ShapeFn matmul_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::MatMul: return matmul;
    case OpKind::Gemm: return gemm;
    case OpKind::FullyConnected: return fully_connected;
    default: return nullptr;
  }
}

}  // namespace octet::ir::shapes
