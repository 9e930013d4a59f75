// NaN and infinity guard of the quantization pipeline: a layer whose weights or bias hold a
// non-finite value, or whose input held one in any calibration sample, stays FP32 with a
// warning naming the layer, instead of getting a NaN scale that poisons the whole INT8 model.
#pragma once
#include <string>
#include <vector>

#include "quant/algorithms/quant_setup.hpp"
#include "quant/statistics/stats_file.hpp"

namespace octet::quant {

// Reverts every quantized layer with a NaN or infinity in its constant weights or bias.
void keep_nonfinite_weights_fp32(const ir::Graph& g, QuantSetup& setup, std::vector<std::string>& warnings);

// After calibration: reverts every layer reading a quantized tensor whose statistics saw a
// NaN or infinity, and drops that tensor's other Q/DQ uses (pool, Concat, Add) so no range
// is ever computed from it. `samples` is the number of calibration samples, for the message.
void keep_nonfinite_activations_fp32(const ir::Graph& g, QuantSetup& setup, const StatsMap& stats, size_t samples,
                                     std::vector<std::string>& warnings);

}  // namespace octet::quant
