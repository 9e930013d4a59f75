// Parsing the INT8 ops' quantization attributes and planning their requantization; shared by
// the reference and the oneDNN INT8 kernels so both compute the same float32 expression.
#include "runtime/ref/q_attrs.hpp"

#include <algorithm>

#include "octet/error.hpp"

namespace octet::rt::q {

DType dtype_from_name(const std::string& name) {
  if (name == "uint8") return DType::kUInt8;
  if (name == "int8") return DType::kInt8;
  if (name == "float32") return DType::kFloat32;
  fail("dtype '", name, "' is not uint8, int8 or float32");
}

namespace {

void check_scale(const ir::Node& node, const char* key, float scale) {
  if (!(scale > 0.0f) || !std::isfinite(scale))
    fail(node.describe(), ": attribute ", key, " must be a positive finite float, got ", scale);
}

}  // namespace

QuantAttrs read_quant_attrs(const ir::Node& node) {
  QuantAttrs a;
  a.scale_x = node.attr_float("scale_x", 1.0f);
  a.zero_point_x = static_cast<int32_t>(node.attr_int("zero_point_x", 0));
  a.scale_w = node.attr_floats("scale_w");
  a.scale_y = node.attr_float("scale_y", 1.0f);
  a.zero_point_y = static_cast<int32_t>(node.attr_int("zero_point_y", 0));
  if (!node.has_attr("dtype_y")) fail(node.describe(), ": attribute dtype_y is required");
  try {
    a.dtype_y = dtype_from_name(node.attr_string("dtype_y", ""));
  } catch (const Error& e) {
    fail(node.describe(), ": ", e.what());
  }
  a.range_acc = node.attr_floats("range_acc");
  if (!a.range_acc.empty() && (a.range_acc.size() != 2 || !(a.range_acc[0] <= a.range_acc[1])))
    fail(node.describe(), ": range_acc must be [lo, hi] with lo <= hi");
  a.scale_sum = node.attr_float("scale_sum", 1.0f);
  a.zero_point_sum = static_cast<int32_t>(node.attr_int("zero_point_sum", 0));
  a.scale_a = node.attr_float("scale_a", 1.0f);
  a.zero_point_a = static_cast<int32_t>(node.attr_int("zero_point_a", 0));
  a.scale_b = node.attr_float("scale_b", 1.0f);
  a.zero_point_b = static_cast<int32_t>(node.attr_int("zero_point_b", 0));
  a.activation = ir::read_fused_activation(node);
  check_scale(node, "scale_x", a.scale_x);
  check_scale(node, "scale_y", a.scale_y);
  check_scale(node, "scale_sum", a.scale_sum);
  check_scale(node, "scale_a", a.scale_a);
  check_scale(node, "scale_b", a.scale_b);
  for (float s : a.scale_w) check_scale(node, "scale_w", s);
  for (int32_t zp : {a.zero_point_x, a.zero_point_sum, a.zero_point_a, a.zero_point_b, a.zero_point_y})
    if (zp < -128 || zp > 255) fail(node.describe(), ": zero point ", zp, " is outside the 8-bit range");
  return a;
}

Requant Requant::make(const QuantAttrs& a, int64_t channels) {
  if (a.scale_w.size() != 1 && static_cast<int64_t>(a.scale_w.size()) != channels)
    fail("scale_w has ", a.scale_w.size(), " values for ", channels, " output channels");
  Requant r;
  r.dtype_y = a.dtype_y;
  r.activation = a.activation;
  // In output units when the output is quantized and the activation allows it: one multiply
  // per element, and the form oneDNN's output scales compute.
  const bool output_units = a.quantized_y() && a.activation.positively_homogeneous();
  const float to_output = output_units ? a.scale_y : 1.0f;
  r.scale_acc.resize(static_cast<size_t>(channels));
  for (int64_t m = 0; m < channels; ++m)
    r.scale_acc[static_cast<size_t>(m)] = a.scale_x * a.scale_w_at(m) / to_output;
  if (!a.range_acc.empty()) {
    r.clip = true;
    r.clip_lo = a.range_acc[0] / to_output;
    r.clip_hi = a.range_acc[1] / to_output;
  }
  // A float32 output takes a float32 residual as it is.
  r.scale_sum = a.quantized_y() ? a.scale_sum / to_output : 1.0f;
  r.zero_point_sum = a.quantized_y() ? a.zero_point_sum : 0;
  if (output_units && a.activation.kind == ir::ActivationKind::kClip) {
    r.activation.alpha /= a.scale_y;
    r.activation.beta /= a.scale_y;
  }
  r.scale_post = a.quantized_y() && !output_units ? 1.0f / a.scale_y : 1.0f;
  r.zero_point_y = a.quantized_y() ? a.zero_point_y : 0;
  return r;
}

}  // namespace octet::rt::q
