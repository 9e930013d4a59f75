// The FP32 graph passes, one per file (verb_noun.cpp), run in order by passes::optimize.
// Each rewrites the graph in place (marking removed nodes dead, never renumbering ids) and
// returns what it changed as a phrase for the PassLog ("20 BatchNormalization folded"), or ""
// when the graph is unchanged.
#pragma once
#include <string>

#include "ir/graph.hpp"
#include "passes/pipeline.hpp"

namespace octet::passes {

// Evaluates nodes whose inputs are all constant; folds Shape/Size of static shapes.
std::string fold_constants(ir::Graph& graph, const PassOptions& options);
// Removes Identity, inference Dropout, no-op Cast and Reshape/Flatten/Squeeze/Unsqueeze.
std::string remove_identity(ir::Graph& graph, const PassOptions& options);
// Removes nodes whose outputs nothing reads.
std::string remove_dead_nodes(ir::Graph& graph, const PassOptions& options);
// Folds an inference BatchNormalization into the Conv/ConvTranspose/Gemm/FullyConnected before it.
std::string fuse_conv_bn(ir::Graph& graph, const PassOptions& options);
// MatMul with a constant 2-D weight (+ bias Add) and Gemm become FullyConnected.
std::string fuse_matmul_add(ir::Graph& graph, const PassOptions& options);
// Conv becomes FusedConv; a following activation moves into FusedConv/FullyConnected.
std::string fuse_conv_activation(ir::Graph& graph, const PassOptions& options);
// A residual Add after a FusedConv becomes the FusedConv's Sum input.
std::string fuse_conv_add(ir::Graph& graph, const PassOptions& options);

}  // namespace octet::passes
