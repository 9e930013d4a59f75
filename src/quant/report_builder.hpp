// Fills the report's per-layer and per-tensor entries from a finished QuantSetup.
#pragma once
#include "ir/graph.hpp"
#include "octet/quantize.hpp"
#include "quant/algorithms/quant_setup.hpp"

namespace octet::quant {

// One LayerQuantReport per setup layer (same order), one ActivationQuantReport per quantizer
// with readers. SQNR is left NaN (layer_sqnr fills it).
void fill_report(QuantizeReport& report, const ir::Graph& graph, const QuantSetup& setup);

// Gives the QDQ graph back the original model's symbolic input and output dims (the batch)
// that quantization fixed to 1, and forgets intermediate shapes so no batch-1 shape is written
// for them; the engine re-infers them.
void restore_dynamic_dims(ir::Graph& qdq, const ir::Graph& original);

}  // namespace octet::quant
