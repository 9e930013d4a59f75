// Scales and zero points, and the arithmetic every quantizer in octet shares: round half to
// even (as ONNX QuantizeLinear), saturate to the type's range. Activations are per tensor;
// weights per output channel, symmetric, levels -127..127 (-63..63 when narrowed against
// VPMADDUBSW saturation); biases int32 at scale_x * scale_w.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "octet/quantize.hpp"
#include "octet/tensor.hpp"
#include "quant/ranges/range_estimator.hpp"

namespace octet::quant {

struct QParams {
  DType dtype = DType::kUndefined;  // kInt8, kUInt8 (activations, weights) or kInt32 (bias)
  std::vector<float> scale;         // one (per tensor) or one per channel along `axis`
  std::vector<int32_t> zero_point;  // same length as scale
  int axis = -1;                    // per-channel axis; -1 per tensor
  bool valid() const { return dtype != DType::kUndefined && !scale.empty(); }
};

// Activation parameters for a calibrated range. Non-negative ranges get uint8 with zero point
// 0 in both presets; signed ranges get int8 symmetric (performance) or asymmetric uint8 (mixed).
QParams activation_qparams(const Range& range, QuantPreset preset);

// The range of an int8, uint8 or int32 type (ir::qdq::qmin/qmax); throws for any other.
int32_t qmin_of(DType dtype);
int32_t qmax_of(DType dtype);

// Quantize then dequantize with per-tensor parameters (what a Q->DQ pair computes), in
// QuantizeLinear's arithmetic (ir/qdq/scheme.hpp), as the engine runs it.
float fake_quantize(float x, const QParams& p);

// Per-channel symmetric int8 weights.
struct QuantizedWeights {
  Tensor q;                      // int8, the weights' shape
  std::vector<float> scale;      // per channel along axis
  std::vector<int8_t> levels;    // per channel: 127, or 63 where narrowed
  int axis = 0;
  bool valid() const { return !scale.empty(); }
};

// Quantizes weights per channel along `axis`. `levels`: one entry per channel (127 or 63).
// `method`: "max" (scale = max|w| / levels) or "mse" (the clipping threshold that minimizes the
// squared error of the channel).
QuantizedWeights quantize_weights(const Tensor& w, int axis, const std::vector<int8_t>& levels, const std::string& method);
// Re-quantizes one channel with a given scale (bias overflow, see quantize_bias).
void requantize_channel(QuantizedWeights& qw, const Tensor& w, int64_t channel, float scale);
Tensor dequantize_weights(const QuantizedWeights& qw);

// Channels along `axis` and the stride structure of a tensor: index = (o * channels + c) * inner + i.
struct AxisSplit {
  int64_t outer = 1, channels = 1, inner = 1;
};
AxisSplit split_axis(const Shape& shape, int axis);

// int32 bias at scale scale_x * scale_w[channel_of(c)] with zero point 0. Where a channel's bias
// would not fit in int32 (tiny weights, e.g. a dead channel after BatchNorm folding, with a large
// bias), that channel's weight scale is raised until it does and its weights re-quantized.
struct QuantizedBias {
  Tensor q;                  // int32 [C]
  std::vector<float> scale;  // [C]
};
QuantizedBias quantize_bias(const Tensor& bias, float scale_x, QuantizedWeights& weights, const Tensor& w_float);

}  // namespace octet::quant
