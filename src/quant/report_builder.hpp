// Fills the report's per-layer and per-tensor entries from a finished QuantSetup.
#pragma once
#include <map>
#include <string>

#include "ir/graph.hpp"
#include "octet/quantize.hpp"
#include "quant/algorithms/quant_setup.hpp"

namespace octet::quant {

// One LayerQuantReport per setup layer (same order), one ActivationQuantReport per quantizer
// with readers. SQNR is left NaN (layer_sqnr fills it).
void fill_report(QuantizeReport& report, const ir::Graph& graph, const QuantSetup& setup);

// Gives the QDQ graph back the original model's symbolic input and output dims, and forgets
// intermediate shapes so no calibration-time shape is written for them; the engine re-infers
// them. Inputs the user fixed (QuantizeOptions::input_shapes) keep the fixed shape: Shape
// chains over them were folded into constants, so declaring them dynamic again would be a
// lie; the outputs then keep their inferred shapes too.
void restore_dynamic_dims(ir::Graph& qdq, const ir::Graph& original, const std::map<std::string, Shape>& fixed = {});

}  // namespace octet::quant
