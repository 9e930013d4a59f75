// Full bias correction: the quantized side's input mean comes from running the QDQ model on
// part of the calibration set, layer by layer, each round with the biases corrected so far.
// Layers at the same depth (counted in correctable layers on any path from the inputs)
// do not influence each other and share a round. The FP32 side's means come from the same
// samples (a first FP32 pass), never from the full calibration statistics.
#pragma once
#include "octet/quantize.hpp"
#include "quant/algorithms/quant_setup.hpp"
#include "quant/statistics/collector.hpp"

namespace octet::quant {

// Needs activation parameters and quantized weights set, and the statistics of every
// correctable layer's input in `stats` (for its shape). Returns the number of layers corrected.
int full_bias_correction(const ir::Graph& graph, QuantSetup& setup, const StatsMap& stats, const SampleSource& samples,
                         size_t count, double threshold, int threads, bool progress);

}  // namespace octet::quant
