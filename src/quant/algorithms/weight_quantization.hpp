// Quantizes every quantized layer's weights (per output channel, symmetric, -127..127) and
// applies the saturation fix the options ask for (see transforms/saturation.hpp).
#pragma once
#include <string>

#include "quant/algorithms/quant_setup.hpp"
#include "quant/statistics/collector.hpp"

namespace octet::quant {

// The effective fix for `requested` on this host (kAuto resolved through cpuid), with a
// sentence saying why, for the report.
SaturationFix resolve_saturation_fix(SaturationFix requested, bool host_vnni, std::string& why);

// Needs activation parameters set. Returns how many output channels were narrowed to 7 bits.
int64_t quantize_layer_weights(const ir::Graph& graph, QuantSetup& setup, const StatsMap& stats,
                               SaturationFix fix, const std::string& method);

}  // namespace octet::quant
