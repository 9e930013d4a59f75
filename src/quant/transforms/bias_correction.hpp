// Bias correction: shift each quantized layer's bias so that the per-channel mean of its
// output (before the fused activation) matches FP32 on the calibration data. Conv, MatMul and
// Gemm are linear in their input, zero padding included, so the mean output is the layer
// applied to the mean input: both sides need only a mean map of the input.
//   fast: FP32 mean map of the input on both sides (POT's FastBiasCorrection), the
//         quantized side with quantized weights and the input's Q/DQ applied.
//   full: the quantized side's mean map comes from running the QDQ model itself, layer by
//         layer, so upstream errors (clipping, rounding bias) are corrected too.
#pragma once
#include <vector>

#include "ir/graph.hpp"
#include "quant/algorithms/quant_setup.hpp"

namespace octet::quant {

// True when the layer has a bias slot to correct (a constant bias, or none where the op
// takes one: FusedConv, Conv, FullyConnected, unit Gemm).
bool can_correct_bias(const ir::Graph& graph, const LayerQuantizer& layer);

// Per-channel mean of the layer's linear part (no bias, no residual, no activation) applied
// to `input` with `weights`.
std::vector<double> linear_output_channel_means(const ir::Graph& graph, const LayerQuantizer& layer,
                                                const Tensor& input, const Tensor& weights);

// FP32-minus-quantized shift per output channel, from the FP32 mean map `mean_fp32` of the
// input and the one the quantized model sees, `mean_quantized` (nullptr: the same one, as in
// fast correction; then one evaluation of the layer with W - Wq gives the shift).
std::vector<float> bias_shift(const ir::Graph& graph, const LayerQuantizer& layer, const Tensor& mean_fp32,
                              const Tensor* mean_quantized);

// Adds the shift to the layer's bias (layer.bias) unless the rule rejects it: POT skips a layer
// when the shift reaches `threshold` times the bias magnitude (max over channels of
// |shift| / |bias|, a zero bias counting as infinitely small). Returns whether it applied.
bool apply_bias_shift(const ir::Graph& graph, LayerQuantizer& layer, const std::vector<float>& shift, double threshold);

}  // namespace octet::quant
