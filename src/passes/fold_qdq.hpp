// fold_qdq: turns QuantizeLinear/DequantizeLinear patterns into INT8 ops (the rows of
// ir/qdq/int8_patterns.def: QConv, QFullyConnected, QAdd, QAveragePool, and pools, Concat and
// reshapes on quantized tensors), so that a QDQ model from octet's quantizer or ONNX
// Runtime's runs in INT8 kernels with activations kept quantized between layers. Q/DQ nodes
// no pattern takes stay as explicit conversions; a graph without QDQ is left untouched.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.hpp"

namespace octet::passes {

// Rewrites the graph in place (verified and compacted after); returns a one-line summary for
// the pass log, empty when nothing changed. Shapes must be inferred.
std::string fold_qdq(ir::Graph& graph);

// A QuantizeLinear or DequantizeLinear left in a folded graph, and why. At the border of the
// INT8 region (a graph input or output, an op with no INT8 pattern) one is expected; one next
// to an op that has a row (`pattern_missed`) means the quantizer emitted a pattern the folder
// did not match, and the op pays the accuracy of INT8 while running in float.
struct UnfoldedConversion {
  std::string node;    // the Q or DQ node
  std::string reason;  // "feeds Softmax 'attn/softmax', which has no INT8 pattern", ...
  bool pattern_missed = false;
};
std::vector<UnfoldedConversion> unfolded_conversions(const ir::Graph& folded);

}  // namespace octet::passes
