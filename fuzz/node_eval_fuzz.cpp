// Fuzz target: one node built from the bytes (op, dtype, attribute values, input values) ->
// shape inference -> rt::evaluate_node, the path constant folding takes. It reaches what the
// loader target rarely does: integer arithmetic at its edges (min / -1, division by zero,
// overflowing sums and products, casts of NaN, Pow, Range) and window, pad, resize and TopK
// attributes against the shapes they apply to. Byte 0 picks the op, byte 1 the dtype; the
// rest feed attributes and element values (zeros once the bytes run out).
#include <cstring>

#include "fuzz/fuzz_target.hpp"
#include "ir/graph.hpp"
#include "ir/shape_inference.hpp"
#include "runtime/kernel.hpp"

namespace {

using namespace octet;
using ir::OpKind;

struct Bytes {
  const uint8_t* data;
  size_t size, at = 0;
  uint8_t byte() { return at < size ? data[at++] : 0; }
  int64_t small() { return static_cast<int8_t>(byte()) % 9; }  // -8..8: attribute values near the edges
  bool flag() { return byte() & 1; }
  void fill(void* dst, size_t n) {
    const size_t k = std::min(n, size - std::min(size, at));
    std::memcpy(dst, data + at, k);
    std::memset(static_cast<uint8_t*>(dst) + k, 0, n - k);
    at += k;
  }
};

constexpr OpKind kOps[] = {
    OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Mod, OpKind::Pow, OpKind::Max, OpKind::Min,
    OpKind::PRelu, OpKind::Abs, OpKind::Neg, OpKind::Sign, OpKind::Relu, OpKind::Cast, OpKind::Range,
    OpKind::CumSum, OpKind::ReduceSum, OpKind::ReduceProd, OpKind::ReduceMean, OpKind::ReduceL1, OpKind::ReduceL2,
    OpKind::ReduceSumSquare, OpKind::ReduceLogSum, OpKind::Conv, OpKind::ConvTranspose, OpKind::MaxPool,
    OpKind::AveragePool, OpKind::Pad, OpKind::Resize, OpKind::TopK};
constexpr DType kDtypes[] = {DType::kInt8, DType::kUInt8, DType::kInt16, DType::kUInt16, DType::kInt32,
                             DType::kInt64, DType::kFloat32, DType::kFloat64};

struct Builder {
  Bytes& in;
  ir::Graph graph;
  ir::Node node;

  void input(DType dtype, const Shape& shape) {
    Tensor t(dtype, shape);
    in.fill(t.bytes.data(), t.bytes.size());
    node.inputs.push_back(graph.add_constant(cat("in", node.inputs.size()), std::move(t)));
  }
  void ints_input(const std::vector<int64_t>& v) {
    node.inputs.push_back(graph.add_constant(
        cat("in", node.inputs.size()), Tensor::from_vector<int64_t>(DType::kInt64, {static_cast<int64_t>(v.size())}, v)));
  }
  std::vector<int64_t> smalls(size_t n) {
    std::vector<int64_t> v(n);
    for (int64_t& x : v) x = in.small();
    return v;
  }
  // An attribute present or not, as the bytes say.
  void maybe_ints(const char* name, size_t n) {
    if (in.flag()) node.attrs[name] = ir::Attribute::make_ints(smalls(n));
  }
  void window_attrs() {
    maybe_ints("kernel_shape", 2);
    maybe_ints("strides", 2);
    maybe_ints("dilations", 2);
    maybe_ints("pads", 4);
    static const char* kAutoPad[] = {"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"};
    node.attrs["auto_pad"] = ir::Attribute::make_string(kAutoPad[in.byte() % 4]);
    if (in.flag()) node.attrs["ceil_mode"] = ir::Attribute::make_int(1);
  }
};

void build(Builder& b, OpKind op, DType dtype) {
  Bytes& in = b.in;
  const int64_t n = 1 + in.byte() % 6;
  const Shape image = {1, 1, 1 + in.byte() % 6, 1 + in.byte() % 6};
  switch (op) {
    case OpKind::Abs: case OpKind::Neg: case OpKind::Sign: case OpKind::Relu:
      b.input(dtype, {n});
      return;
    case OpKind::Cast:
      b.input(in.flag() ? DType::kFloat32 : DType::kFloat64, {n});
      b.node.attrs["to"] = ir::Attribute::make_int(1 + in.byte() % 11);
      return;
    case OpKind::Range:
      for (int i = 0; i < 3; ++i) b.input(dtype, {});
      return;
    case OpKind::CumSum:
      b.input(dtype, {n, 2});
      b.ints_input({in.small()});
      return;
    case OpKind::ReduceSum:
      b.input(dtype, {n, 3});
      b.ints_input({in.small()});
      return;
    case OpKind::ReduceProd: case OpKind::ReduceMean: case OpKind::ReduceL1: case OpKind::ReduceL2:
    case OpKind::ReduceSumSquare: case OpKind::ReduceLogSum:
      b.input(dtype, {n, 3});
      b.node.attrs["axes"] = ir::Attribute::make_ints({in.small()});
      return;
    case OpKind::Conv: case OpKind::ConvTranspose:
      b.input(DType::kFloat32, image);
      b.input(DType::kFloat32, {1, 1, 1 + in.byte() % 4, 1 + in.byte() % 4});
      b.window_attrs();
      return;
    case OpKind::MaxPool: case OpKind::AveragePool:
      b.input(DType::kFloat32, image);
      b.window_attrs();
      if (!b.node.has_attr("kernel_shape")) b.node.attrs["kernel_shape"] = ir::Attribute::make_ints(b.smalls(2));
      return;
    case OpKind::Pad: {
      static const char* kModes[] = {"constant", "reflect", "edge"};
      b.input(DType::kFloat32, {1, n});
      b.ints_input(b.smalls(4));
      b.node.attrs["mode"] = ir::Attribute::make_string(kModes[in.byte() % 3]);
      return;
    }
    case OpKind::Resize:
      b.input(DType::kFloat32, image);
      b.node.inputs.push_back(ir::kNoValue);
      if (in.flag()) {
        b.input(DType::kFloat32, {4});  // scales: any float bits, NaN and Inf included
      } else {
        b.node.inputs.push_back(ir::kNoValue);
        b.ints_input(b.smalls(4));
      }
      return;
    case OpKind::TopK:
      b.input(dtype, {n});
      b.ints_input({in.small()});
      return;
    default:  // the binary ops; the second input broadcasts when it has one element
      b.input(dtype, {n});
      b.input(dtype, {in.flag() ? 1 : n});
      if (op == OpKind::Mod) b.node.attrs["fmod"] = ir::Attribute::make_int(in.flag() || dtype == DType::kFloat32 ||
                                                                              dtype == DType::kFloat64);
      return;
  }
}

}  // namespace

OCTET_FUZZ_TARGET(node_eval) {
  return run_refusing([&] {
    Bytes in{data, size};
    const OpKind op = kOps[in.byte() % std::size(kOps)];
    const DType dtype = kDtypes[in.byte() % std::size(kDtypes)];
    Builder b{in, {}, {}};
    b.graph.opset = 13;
    b.node.name = "fuzzed";
    b.node.op = op;
    build(b, op, dtype);
    for (int o = 0; o < (op == OpKind::TopK ? 2 : 1); ++o) {
      ir::Value v;
      v.name = cat("out", o);
      b.node.outputs.push_back(b.graph.add_value(std::move(v)));
    }
    b.graph.add_node(b.node);
    b.graph.outputs = b.node.outputs;
    ir::verify(b.graph);
    ir::infer_shapes(b.graph, /*require_static=*/false);
    // Outputs beyond a million elements prove nothing more and would only cost memory.
    for (ir::ValueId out : b.node.outputs) {
      const ir::Value& v = b.graph.value(out);
      if (!v.has_shape) return;
      for (int64_t d : v.shape)
        if (d < 0) return;
      if (shape_numel(v.shape) > (1 << 20)) return;
    }
    std::vector<const Tensor*> inputs;
    for (ir::ValueId id : b.graph.nodes[0].inputs) inputs.push_back(b.graph.constant(id));
    rt::evaluate_node(b.graph, b.graph.nodes[0], inputs);
  });
}
