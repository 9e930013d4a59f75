// Nodes of opsets 1 to 6 in their opset-7 form, rewritten as the loader reads them, so the
// rest of octet knows one meaning per op from opset 7 on.
#pragma once
#include <string>

#include "ir/graph.hpp"

namespace octet::onnx_io {

// Rewrites `node` (not yet added to `graph`) when the file's `opset` is below 7: drops the attributes that
// only steered buffer reuse or training (consumed_inputs, is_test), turns legacy broadcasting
// (broadcast=1, axis) into NumPy broadcasting, Cast's string `to` into its dtype code,
// Reshape's `shape` attribute into an input, Pad's `paddings` into `pads`, and gives Concat
// its old default axis. The loader then gives the graph opset 7.
// Throws naming `where` for a form that has no opset-7 equivalent here.
void upgrade_legacy_node(ir::Graph& graph, ir::Node& node, int64_t opset, const std::string& where);

}  // namespace octet::onnx_io
