// Quantization arithmetic shared by every quantizer; see qparams.hpp.
#include "quant/transforms/qparams.hpp"

#include <algorithm>
#include <cfenv>
#include <cmath>

#include "ir/qdq/scheme.hpp"
#include "octet/error.hpp"

namespace octet::quant {

namespace {

void check_integer(DType dtype) {
  if (dtype != DType::kInt8 && dtype != DType::kUInt8 && dtype != DType::kInt32)
    fail("quantization: no integer range for ", dtype_name(dtype));
}

}  // namespace

int32_t qmin_of(DType dtype) {
  check_integer(dtype);
  return ir::qdq::qmin(dtype);
}

int32_t qmax_of(DType dtype) {
  check_integer(dtype);
  return ir::qdq::qmax(dtype);
}

float fake_quantize(float x, const QParams& p) {
  return ir::qdq::fake_quantize(x, p.scale[0], p.zero_point[0], p.dtype);
}

QParams activation_qparams(const Range& range, QuantPreset preset) {
  // A range too narrow to hold a step (an all-zero tensor) gets a small positive scale:
  // ONNX forbids a zero scale, and everything still quantizes to the zero point.
  constexpr float kMinExtent = 1e-6f;
  QParams p;
  if (range.lo >= 0) {
    p.dtype = DType::kUInt8;
    p.scale = {std::max(range.hi, kMinExtent) / 255.0f};
    p.zero_point = {0};
    return p;
  }
  if (preset == QuantPreset::kPerformance) {
    p.dtype = DType::kInt8;
    p.scale = {std::max({-range.lo, range.hi, kMinExtent}) / 127.0f};
    p.zero_point = {0};
    return p;
  }
  const float lo = std::min(range.lo, 0.0f), hi = std::max(range.hi, 0.0f);
  p.dtype = DType::kUInt8;
  p.scale = {std::max(hi - lo, kMinExtent) / 255.0f};
  p.zero_point = {static_cast<int32_t>(std::clamp(std::nearbyint(-lo / p.scale[0]), 0.0f, 255.0f))};
  return p;
}

AxisSplit split_axis(const Shape& shape, int axis) {
  if (axis < 0 || axis >= static_cast<int>(shape.size())) fail("quantization: axis ", axis, " is out of range for shape ", shape_str(shape));
  AxisSplit s;
  for (int d = 0; d < axis; ++d) s.outer *= shape[static_cast<size_t>(d)];
  s.channels = shape[static_cast<size_t>(axis)];
  for (size_t d = static_cast<size_t>(axis) + 1; d < shape.size(); ++d) s.inner *= shape[d];
  return s;
}

namespace {

// Squared error of one channel quantized symmetrically at `scale` with `levels`.
double channel_error(const float* w, const AxisSplit& s, int64_t c, float scale, int32_t levels) {
  double err = 0;
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      const float x = w[(o * s.channels + c) * s.inner + i];
      const float d = x - static_cast<float>(ir::qdq::quantize(x, scale, 0, -levels, levels)) * scale;
      err += static_cast<double>(d) * d;
    }
  return err;
}

}  // namespace

void requantize_channel(QuantizedWeights& qw, const Tensor& w, int64_t c, float scale) {
  const AxisSplit s = split_axis(w.shape, qw.axis);
  const float* src = w.data<float>();
  int8_t* dst = qw.q.data<int8_t>();
  const int32_t levels = qw.levels[static_cast<size_t>(c)];
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      const int64_t idx = (o * s.channels + c) * s.inner + i;
      dst[idx] = static_cast<int8_t>(ir::qdq::quantize(src[idx], scale, 0, -levels, levels));
    }
  qw.scale[static_cast<size_t>(c)] = scale;
}

QuantizedWeights quantize_weights(const Tensor& w, int axis, const std::vector<int8_t>& levels, const std::string& method) {
  if (w.dtype != DType::kFloat32) fail("quantization: weights are ", dtype_name(w.dtype), ", expected float32");
  if (method != "max" && method != "mse") fail("quantization: unknown weight range method '", method, "' (max or mse)");
  const AxisSplit s = split_axis(w.shape, axis);
  if (static_cast<int64_t>(levels.size()) != s.channels)
    fail("quantization: ", levels.size(), " level counts for ", s.channels, " channels");
  QuantizedWeights qw;
  qw.axis = axis;
  qw.levels = levels;
  qw.q = Tensor(DType::kInt8, w.shape);
  qw.scale.assign(static_cast<size_t>(s.channels), 1.0f);
  const float* src = w.data<float>();
  for (int64_t c = 0; c < s.channels; ++c) {
    float absmax = 0;
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t i = 0; i < s.inner; ++i) absmax = std::max(absmax, std::fabs(src[(o * s.channels + c) * s.inner + i]));
    const int32_t lv = levels[static_cast<size_t>(c)];
    // An all-zero channel keeps scale 1/levels: every weight is 0 whatever the scale, and a
    // moderate scale keeps its int32 bias representable.
    float scale = absmax > 0 ? absmax / static_cast<float>(lv) : 1.0f / static_cast<float>(lv);
    if (method == "mse" && absmax > 0) {
      double best = channel_error(src, s, c, scale, lv);
      for (int k = 99; k >= 50; --k) {
        const float candidate = absmax * static_cast<float>(k) / 100.0f / static_cast<float>(lv);
        const double err = channel_error(src, s, c, candidate, lv);
        if (err < best) { best = err; scale = candidate; }
      }
    }
    requantize_channel(qw, w, c, scale);
  }
  return qw;
}

Tensor dequantize_weights(const QuantizedWeights& qw) {
  Tensor out(DType::kFloat32, qw.q.shape);
  const AxisSplit s = split_axis(qw.q.shape, qw.axis);
  const int8_t* q = qw.q.data<int8_t>();
  float* dst = out.data<float>();
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t c = 0; c < s.channels; ++c)
      for (int64_t i = 0; i < s.inner; ++i) {
        const int64_t idx = (o * s.channels + c) * s.inner + i;
        dst[idx] = static_cast<float>(q[idx]) * qw.scale[static_cast<size_t>(c)];
      }
  return out;
}

QuantizedBias quantize_bias(const Tensor& bias, float scale_x, QuantizedWeights& weights, const Tensor& w_float) {
  if (bias.dtype != DType::kFloat32) fail("quantization: bias is ", dtype_name(bias.dtype), ", expected float32");
  const int64_t n = bias.numel();
  const int64_t channels = static_cast<int64_t>(weights.scale.size());
  if (channels == 0 || n % channels != 0)
    fail("quantization: a bias of ", n, " values does not match ", channels, " weight channels");
  QuantizedBias qb;
  qb.q = Tensor(DType::kInt32, {n});
  qb.scale.resize(static_cast<size_t>(n));
  const float* b = bias.data<float>();
  // Keep |q| under 2^30 so later shifts and the accumulator have headroom.
  constexpr double kLimit = 1073741824.0;
  for (int64_t c = 0; c < n; ++c) {
    const int64_t wc = c % channels;  // one weight channel per bias value for every layer octet quantizes
    double s = static_cast<double>(scale_x) * weights.scale[static_cast<size_t>(wc)];
    if (std::fabs(b[c]) / s > kLimit) {
      const float raised = static_cast<float>(std::fabs(b[c]) / kLimit / scale_x * 1.001);
      requantize_channel(weights, w_float, wc, raised);
      s = static_cast<double>(scale_x) * raised;
    }
    qb.scale[static_cast<size_t>(c)] = static_cast<float>(s);
  }
  for (int64_t c = 0; c < n; ++c) {
    // The scale as stored (float32) is what DequantizeLinear will use.
    const double s = static_cast<double>(static_cast<float>(static_cast<double>(scale_x) *
                                                            weights.scale[static_cast<size_t>(c % channels)]));
    qb.scale[static_cast<size_t>(c)] = static_cast<float>(s);
    qb.q.data<int32_t>()[c] = static_cast<int32_t>(std::nearbyint(b[c] / s));
  }
  return qb;
}

}  // namespace octet::quant
