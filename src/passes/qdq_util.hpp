// The vocabulary of fold_qdq's selectors and actions: reading a QuantizeLinear or
// DequantizeLinear node's quantization, a NodeGroup (the {DQ inputs, node, Q output} unit
// ONNX Runtime's qdq_transformer rewrites), and small graph queries over live nodes.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "ir/qdq/scheme.hpp"
#include "passes/pass_util.hpp"

namespace octet::passes::qdq {

// A per-tensor quantization: real = scale * (q - zero_point), q of dtype uint8 or int8.
struct QParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
  DType dtype = DType::kUInt8;
  bool operator==(const QParams& o) const {
    return scale == o.scale && zero_point == o.zero_point && dtype == o.dtype;
  }
};

// Per-channel int8 weights behind a DequantizeLinear: the int8 constant and its scales.
struct WeightParams {
  ir::ValueId value = ir::kNoValue;  // the int8 constant
  std::vector<float> scales;         // one, or one per element along `axis`
  int64_t axis = 0;                  // normalized
};

// Matched nodes of one rewrite. kNoNode where absent.
struct NodeGroup {
  std::vector<ir::NodeId> dq;            // per input of `target`: the DequantizeLinear producing it
  ir::NodeId target = ir::kNoNode;
  ir::NodeId activation = ir::kNoNode;   // a Relu/Clip between target and q, fused into the op
  ir::NodeId q = ir::kNoNode;            // the QuantizeLinear of the (activated) output
  ir::NodeId bias_add = ir::kNoNode;     // MatMul's bias Add, absorbed into QFullyConnected
};

// The graph being rewritten and its use lists, which each rewrite updates (Uses::update).
struct Context {
  ir::Graph& graph;
  Uses uses;
  int rewrites = 0;

  explicit Context(ir::Graph& g) : graph(g), uses(g) {}
  const ir::Node& node(ir::NodeId n) const { return graph.nodes[static_cast<size_t>(n)]; }
  ir::Node& node(ir::NodeId n) { return graph.nodes[static_cast<size_t>(n)]; }
  // The live producer of v if it has op kind `op`, else kNoNode.
  ir::NodeId producer_of(ir::ValueId v, ir::OpKind op) const;
  // The one live consumer of v when it has exactly one and v is not a graph output.
  ir::NodeId sole_consumer(ir::ValueId v) const;
};

// A QuantizeLinear or DequantizeLinear with a scalar scale and zero point (both constants,
// the zero point uint8/int8 or omitted); nullopt for per-axis or non-constant ones.
std::optional<QParams> per_tensor_params(const ir::Graph& graph, const ir::Node& node);

// A DequantizeLinear of an int8 constant with zero points 0 and constant scales, per tensor or
// per axis; `axis` (the dim that must carry per-channel scales, normalized) is checked.
std::optional<WeightParams> weight_params(const ir::Graph& graph, const ir::Node& dq, int64_t axis);

// A DequantizeLinear of a constant int32 bias (zero point 0) or nullopt.
struct BiasParams {
  ir::ValueId value = ir::kNoValue;
  std::vector<float> scales;  // one, or one per element
};
std::optional<BiasParams> bias_params(const ir::Graph& graph, const ir::Node& dq);

// DequantizeLinear of a constant (any integer type, scales and zero points per tensor or per
// axis, all constant) computed as a float32 tensor; nullopt when something is not constant.
std::optional<Tensor> dequantize_constant(const ir::Graph& graph, const ir::Node& dq);

using ir::qdq::qmax;  // the one definition of the ranges (ir/qdq/scheme.hpp)
using ir::qdq::qmin;

// "uint8" / "int8" / "float32" for the dtype_y attribute.
const char* dtype_attr(DType dtype);

}  // namespace octet::passes::qdq
