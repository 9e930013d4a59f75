// Turns the FP32 graph and a filled QuantSetup into the QDQ graph, in the form ONNX Runtime's
// quantizer emits and its QDQ fusions recognize:
//
//   x -> QuantizeLinear -> DequantizeLinear -> Conv -> ...     (activations, per tensor)
//   W(int8) -> DequantizeLinear(axis = output channel) -/      (weights, per channel)
//   B(int32) -> DequantizeLinear(scale_x * scale_w) ---/       (bias, zero point 0)
//
// Other readers of x keep reading the FP32 tensor.
#pragma once
#include "ir/graph.hpp"
#include "quant/algorithms/quant_setup.hpp"

namespace octet::quant {

ir::Graph insert_qdq(const ir::Graph& fp32, const QuantSetup& setup);

// Replaces each DequantizeLinear whose inputs are all constants by its float result: the QDQ
// graph as octet's reference path runs it (weights dequantized exactly once, activations still
// rounded by their Q/DQ pairs).
void fold_constant_dequantize(ir::Graph& graph);

}  // namespace octet::quant
