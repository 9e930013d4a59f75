// ONNX <-> IR. The loader checks what it reads (file, opset, node inputs) and names the file
// and node in every error; the writer emits standard ONNX (internal ops lowered back).
#pragma once
#include <string>

#include "ir/graph.hpp"

namespace octet::onnx_io {

// Reads an ONNX model file into the IR. Float16 initializers become float32 (octet computes
// in FP32), with the graph's float16 inputs/outputs kept in the value dtypes and Cast nodes
// left to shape inference. Throws Error naming the file.
ir::Graph load_model(const std::string& path);
// Parses a serialized ModelProto already in memory (tests, fuzzing).
ir::Graph load_model_from_bytes(const std::string& bytes, const std::string& origin);

// Writes the IR as standard ONNX (internal ops lowered), atomically, refusing to overwrite
// graph.source_path. Weights over 2 GB in all go to "<file name>.data" beside it; writer.hpp
// has the overload with SaveOptions.
void save_model(const ir::Graph& graph, const std::string& path);

}  // namespace octet::onnx_io
