// The quantization attributes of the INT8 ops (QConv, QFullyConnected, QAdd, QAveragePool;
// semantics in ir/ops.def), parsed once for the reference and the oneDNN kernels alike, and
// the float32 requantization both follow so that they agree to the bit.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "ir/fused_activation.hpp"
#include "ir/qdq/scheme.hpp"
#include "runtime/kernel.hpp"

namespace octet::rt::q {

// An activation applied to the real value before requantization. A positively homogeneous
// one (f(c * v) == c * f(v) for c > 0, Clip's bounds scaled by c) commutes with the
// requantization scale, so kernels may apply it in output units.
using Activation = ir::FusedActivation;

struct QuantAttrs {
  float scale_x = 1.0f;
  int32_t zero_point_x = 0;
  std::vector<float> scale_w;  // QConv, QFullyConnected: per output channel, or one value
  float scale_y = 1.0f;
  int32_t zero_point_y = 0;
  DType dtype_y = DType::kFloat32;
  std::vector<float> range_acc;  // QConv: [lo, hi] of the real conv result, or empty
  float scale_sum = 1.0f;      // QConv's residual input
  int32_t zero_point_sum = 0;
  float scale_a = 1.0f, scale_b = 1.0f;  // QAdd
  int32_t zero_point_a = 0, zero_point_b = 0;
  Activation activation;

  bool quantized_y() const { return dtype_y == DType::kUInt8 || dtype_y == DType::kInt8; }
  float scale_w_at(int64_t channel) const {
    return scale_w.size() == 1 ? scale_w[0] : scale_w[static_cast<size_t>(channel)];
  }
};

// Reads the node's attributes; throws (naming the node) when one is missing or malformed.
// why_not functions call it inside a try and return the message.
QuantAttrs read_quant_attrs(const ir::Node& node);

// "uint8"/"int8"/"float32" <-> DType.
DType dtype_from_name(const std::string& name);

using ir::qdq::qmax;  // the one definition of the ranges (ir/qdq/scheme.hpp)
using ir::qdq::qmin;

// v (already in output units, zero point not yet added) -> the stored integer: add the zero
// point, round half to even (the default rounding mode, as oneDNN and QuantizeLinear do), and
// saturate as QuantizeLinear does (ir::qdq::saturate).
inline int32_t requantize(float v, int32_t zero_point, DType dtype) {
  return ir::qdq::saturate(std::nearbyint(v + static_cast<float>(zero_point)), qmin(dtype), qmax(dtype), zero_point);
}

// How an accumulator becomes an output element, in the float32 order every kernel follows
// (oneDNN's: output scale, sum post-op, eltwise post-op, zero point):
//   v = clamp(float(acc + B[m]) * scale_acc[m], clip_lo, clip_hi) + scale_sum * (Sum - zero_point_sum)
//   v = activation(v) * scale_post;  Y = requantize(v, zero_point_y) or v for float32.
// A positively homogeneous activation (Clip's bounds scaled) runs in output units, so the
// per-channel scale folds scale_y in; any other activation runs on the real value and
// scale_post = 1 / scale_y.
struct Requant {
  std::vector<float> scale_acc;  // per output channel
  bool clip = false;             // QConv's range_acc, in the units of v
  float clip_lo = 0.0f, clip_hi = 0.0f;
  float scale_sum = 1.0f;
  int32_t zero_point_sum = 0;
  Activation activation;         // in the units v has when it is applied
  float scale_post = 1.0f;
  int32_t zero_point_y = 0;
  DType dtype_y = DType::kFloat32;

  // channels: the output channel count (scale_w must have 1 or that many values).
  static Requant make(const QuantAttrs& a, int64_t channels);
  float clip_acc(float v) const { return clip ? std::fmin(std::fmax(v, clip_lo), clip_hi) : v; }
  // The output element for a real value `v` already scaled by scale_acc (and summed).
  float finish(float v) const { return ir::apply_activation(activation, v) * scale_post; }
  void store(void* dst, int64_t i, float v) const {
    if (dtype_y == DType::kFloat32) {
      static_cast<float*>(dst)[i] = finish(v);
    } else if (dtype_y == DType::kUInt8) {
      static_cast<uint8_t*>(dst)[i] = static_cast<uint8_t>(requantize(finish(v), zero_point_y, dtype_y));
    } else {
      static_cast<int8_t*>(dst)[i] = static_cast<int8_t>(requantize(finish(v), zero_point_y, dtype_y));
    }
  }
};

// The reference INT8 kernels take any input layout in why_not and ask for plain ones at
// create time (the planner then reorders), so they can follow oneDNN's NHWC kernels.
inline void plain_layouts(KernelContext& ctx) {
  for (TensorDesc& d : ctx.inputs) d.layout = Layout::kPlain;
  for (TensorDesc& d : ctx.outputs) d.layout = Layout::kPlain;
}

// Element i of a uint8 or int8 tensor.
inline int32_t load_q(const void* src, DType dtype, int64_t i) {
  return dtype == DType::kUInt8 ? static_cast<const uint8_t*>(src)[i] : static_cast<const int8_t*>(src)[i];
}

}  // namespace octet::rt::q
