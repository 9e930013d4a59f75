// The ONNX writer's options and its stages. save_model (declared in loader.hpp) uses the
// defaults; tests and tools pass SaveOptions to force external data with a small threshold.
//
//   copy of the IR -> lower internal ops (FusedConv, FullyConnected) to standard ONNX
//   -> raise the opset when QDQ needs it (per-axis scales need 13) -> ModelProto
//   -> [weights over the threshold to "<model>.data"] -> write atomically
#pragma once
#include <cstdint>
#include <string>

#include "ir/graph.hpp"

namespace octet::onnx_io {

struct SaveOptions {
  // When all initializers together exceed this many bytes, they are written as external data
  // into "<model file name>.data" beside the model (protobuf cannot hold 2 GB).
  int64_t external_threshold = int64_t{2} << 30;
  // Initializers smaller than this stay inside the model even then (shapes, scalars).
  int64_t external_min_bytes = 1024;
};

void save_model(const ir::Graph& graph, const std::string& path, const SaveOptions& options);
// The same ONNX as one serialized ModelProto in memory (no external data: fails over 2 GB).
std::string serialize_model(const ir::Graph& graph);

// Rewrites FusedConv and FullyConnected into standard ONNX ops at graph.opset; throws naming
// the node for an internal op that has no ONNX form (INT8 ops made by fold_qdq, Reorder).
void lower_internal_ops(ir::Graph& graph);

// When the graph holds QuantizeLinear/DequantizeLinear that its opset cannot express
// (per-axis scales before 13, any QDQ before 10), raises graph.opset to 13 and rewrites the
// ops whose signature changed on the way; throws naming the node when one cannot be.
void upgrade_opset_for_qdq(ir::Graph& graph);

// Rewrites every node into its opset-13 form and sets graph.opset to 13 (a graph already at
// 13 or later is left as it is). The quantizer raises its working graph this way before
// calibration, so that a model exported at opset 9 quantizes per channel and is written at 13.
// Needs the input shapes of Softmax-family nodes (run shape inference first).
void raise_opset_to_13(ir::Graph& graph);

}  // namespace octet::onnx_io
