// How much arithmetic a node does: multiply-accumulates of the layers that dominate a CNN or
// transformer. Used to size parallelism (a tiny layer runs faster on one thread than split
// across a barrier) and to weigh layers against each other.
#pragma once
#include "ir/graph.hpp"

namespace octet::ir {

// Multiply-accumulates of Conv, FusedConv, QConv, ConvTranspose, MatMul, Gemm,
// FullyConnected and QFullyConnected (0 for other ops, or where a shape is unknown).
double node_macs(const Graph& graph, const Node& node);

// Elements the node writes (its outputs' sizes summed; unknown shapes count 0).
double node_output_elements(const Graph& graph, const Node& node);

}  // namespace octet::ir
