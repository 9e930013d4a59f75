// fold_qdq: turns QuantizeLinear/DequantizeLinear patterns into INT8 ops (QConv,
// QFullyConnected, QAdd, QAveragePool, and MaxPool/Concat/reshapes on quantized tensors), so
// that a QDQ model from octet's quantizer or ONNX Runtime's runs in INT8 kernels with
// activations kept quantized between layers. Q/DQ nodes no pattern takes stay as explicit
// conversions; a graph without QDQ is left untouched.
#pragma once
#include <string>

#include "ir/graph.hpp"

namespace octet::passes {

// Rewrites the graph in place (verified and compacted after); returns a one-line summary for
// the pass log, empty when nothing changed. Shapes must be inferred.
std::string fold_qdq(ir::Graph& graph);

}  // namespace octet::passes
