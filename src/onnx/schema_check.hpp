// The ONNX rules a model must follow before octet reads it, checked with ONNX's own schema
// registry (libonnx) rather than tables of octet's: which IR versions octet reads, whether an
// op exists at the opset the model declares, and each node against its op's schema (input and
// output counts, attribute names, types and required attributes).
#pragma once
#include <onnx/onnx_pb.h>

#include <string>

namespace octet::onnx_io {

// Throws an Error naming `origin` when the model's IR version is one octet cannot read.
void check_ir_version(const onnx::ModelProto& model, const std::string& origin);

// Throws an Error beginning with `where` (which names the node) when `node`, of the default
// domain, breaks the schema of its op at `opset`, the opset the model declares (before octet
// raises it). An op ONNX does not define at all passes: the loader says octet does not
// support it.
void check_node_schema(const onnx::NodeProto& node, int64_t opset, const std::string& where);

}  // namespace octet::onnx_io
