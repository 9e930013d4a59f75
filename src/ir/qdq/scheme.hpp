// The arithmetic of ONNX's QuantizeLinear and DequantizeLinear, written once for everything
// that quantizes or reasons about quantized values: the reference kernels, the QDQ folder
// (passes/) and the quantizer (quant/). They used to carry their own copies, one dividing in
// double and one in float, which disagree at rounding ties.
//
//   q = saturate(round_half_even(x / scale) + zero_point)      (float32 arithmetic)
//   x = (q - zero_point) * scale
//
// The division is a division: x * (1 / scale) rounds differently at ties. NaN, which ONNX
// leaves undefined, becomes the zero point (real 0), never an out-of-range cast.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>

#include "octet/tensor.hpp"

namespace octet::ir::qdq {

// The stored range of a quantized integer type: int8, uint8 (activations, weights) and int32
// (biases). Any other type has no range (0, 0).
constexpr int32_t qmin(DType d) {
  return d == DType::kInt8 ? -128 : d == DType::kInt32 ? std::numeric_limits<int32_t>::min() : 0;
}
constexpr int32_t qmax(DType d) {
  return d == DType::kInt8 ? 127 : d == DType::kUInt8 ? 255 : d == DType::kInt32 ? std::numeric_limits<int32_t>::max() : 0;
}

// A rounded value (an integer in float) clamped to [lo, hi]; NaN to `nan_to`. Exact for 8-
// and 16-bit ranges; an int32 range saturates at float32's nearest bounds, never overflowing.
inline int32_t saturate(float q, int32_t lo, int32_t hi, int32_t nan_to) {
  if (std::isnan(q)) return nan_to;
  if (q <= static_cast<float>(lo)) return lo;
  if (q >= static_cast<float>(hi)) return hi;
  return static_cast<int32_t>(q);
}

// round_half_even(x / scale) + zero_point, saturated to [lo, hi] (std::nearbyint rounds half
// to even in the default floating-point environment, which octet never changes). The range
// may be narrower than the type's (7-bit weights: -63..63).
inline int32_t quantize(float x, float scale, int32_t zero_point, int32_t lo, int32_t hi) {
  return saturate(std::nearbyint(x / scale) + static_cast<float>(zero_point), lo, hi, zero_point);
}
inline int32_t quantize(float x, float scale, int32_t zero_point, DType dtype) {
  return quantize(x, scale, zero_point, qmin(dtype), qmax(dtype));
}

inline float dequantize(int32_t q, float scale, int32_t zero_point) {
  return static_cast<float>(q - zero_point) * scale;
}

// What a QuantizeLinear -> DequantizeLinear pair computes.
inline float fake_quantize(float x, float scale, int32_t zero_point, DType dtype) {
  return dequantize(quantize(x, scale, zero_point, dtype), scale, zero_point);
}

}  // namespace octet::ir::qdq
