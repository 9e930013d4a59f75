// fold_qdq's selectors and actions, one pair per INT8 op of ir/qdq/int8_patterns.def;
// fold_qdq.cpp pairs them with the table's rows. A selector only looks (returns the matched NodeGroup or nullopt); an
// action rewrites exactly that group and leaves the orphaned DequantizeLinear nodes to the
// driver's cleanup.
#pragma once
#include <optional>

#include "ir/fused_activation.hpp"
#include "ir/qdq/int8_patterns.hpp"
#include "passes/qdq_util.hpp"

namespace octet::passes::qdq {

using Selector = std::optional<NodeGroup> (*)(const Context& ctx, ir::NodeId node);
using Action = void (*)(Context& ctx, const NodeGroup& group);

// QuantizeLinear(DequantizeLinear(q)) with one quantization is q itself.
std::optional<NodeGroup> select_q_of_dq(const Context& ctx, ir::NodeId node);
void drop_q_of_dq(Context& ctx, const NodeGroup& group);

// DequantizeLinear commutes with ops that only move or pick elements (Reshape, Flatten,
// Squeeze, Unsqueeze, Identity, MaxPool, and Concat of equally quantized inputs): run the op
// on the quantized tensor and dequantize after it. A following QuantizeLinear then cancels.
std::optional<NodeGroup> select_movement(const Context& ctx, ir::NodeId node);
void sink_dq_below(Context& ctx, const NodeGroup& group);

// DQ(x) + DQ(w) [+ DQ(bias)] -> Conv/FusedConv [-> Relu/Clip/LeakyRelu] [-> Q]  =>  QConv.
std::optional<NodeGroup> select_conv(const Context& ctx, ir::NodeId node);
void make_qconv(Context& ctx, const NodeGroup& group);

// DQ(x) + DQ(w) [+ bias] -> Gemm, or MatMul [-> Add(bias)], [-> activation] [-> Q]
//   =>  QFullyConnected.
std::optional<NodeGroup> select_fully_connected(const Context& ctx, ir::NodeId node);
void make_qfully_connected(Context& ctx, const NodeGroup& group);

// DQ(a) + DQ(b) -> Add [-> Relu] -> Q  =>  the Sum post-op of the QConv producing a or b
// when it can take it, else QAdd.
std::optional<NodeGroup> select_add(const Context& ctx, ir::NodeId node);
void make_residual_add(Context& ctx, const NodeGroup& group);

// DQ(x) -> AveragePool/GlobalAveragePool [-> Q]  =>  QAveragePool.
std::optional<NodeGroup> select_average_pool(const Context& ctx, ir::NodeId node);
void make_qaverage_pool(Context& ctx, const NodeGroup& group);

// Shared by the actions: finds the activation and QuantizeLinear after `output` (an
// activation only if `fusable` has it), filling group.activation and group.q.
void match_output(const Context& ctx, ir::ValueId output, ir::qdq::FusedActivations fusable, NodeGroup& group);
// The activations the table's row for `op` fuses.
ir::qdq::FusedActivations fusable_after(ir::OpKind op);
// Sets "activation"/"alpha"/"beta" on `node` from a Relu/Clip/LeakyRelu node.
void copy_activation(const ir::Graph& graph, const ir::Node& activation, ir::Node& node);
// Sets scale_y/zero_point_y/dtype_y from group.q (or dtype_y float32) and returns the value the
// new node writes: the Q's output, else `float_output`.
ir::ValueId set_output_quantization(const Context& ctx, const NodeGroup& group, ir::ValueId float_output,
                                    ir::Node& node);
// Marks the group's target, activation and Q dead, adds `node`, refreshes the use lists.
ir::NodeId replace_group(Context& ctx, const NodeGroup& group, ir::Node node);

}  // namespace octet::passes::qdq
