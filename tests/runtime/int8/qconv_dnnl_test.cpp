// The oneDNN QConv against the reference QConv (exact int32 accumulation, the same float32
// requantization) on random data over the shapes INT8 networks have: odd channel counts,
// groups, depthwise, strides, asymmetric pads, dilations, a 3-channel first layer, uint8
// with a zero point and int8 activations, per-tensor and per-channel weights, int32 and float
// biases, residual sums and activations. Weights are 7-bit, so no CPU saturates and the two
// must agree to the bit (saturation_test.cpp covers 8-bit weights).
#include <gtest/gtest.h>

#include "runtime/dnnl/int8/int8_kernels.hpp"
#include "runtime/int8/int8_kernel_util.hpp"

namespace octet::test {
namespace {

struct ConvCase {
  const char* name;
  int64_t c, h, w, m, k;
  int64_t stride = 1, dilation = 1, group = 1;
  std::vector<int64_t> pads = {0, 0, 0, 0};
  DType dtype_x = DType::kUInt8;
  int32_t zero_point_x = 0;
  DType dtype_y = DType::kUInt8;
  int32_t zero_point_y = 0;
  bool per_channel = true;
  DType dtype_bias = DType::kInt32;  // kUndefined: no bias
  std::string activation = "";
  float alpha = 0.0f, beta = 0.0f;
  bool sum = false;
  DType dtype_sum = DType::kUInt8;
  std::vector<float> range_acc;  // the clamp fold_qdq keeps when it fuses a residual
  int max_diff = 0;  // allowed difference in output steps
  // Without VNNI oneDNN has no fast kernel for some small groups (the reference then runs
  // the node); exact_needs_vnni marks a case that would be inexact there.
  bool exact_needs_vnni = false;
  bool may_fall_back_without_vnni = false;
};

void run_case(const ConvCase& c) {
  SCOPED_TRACE(c.name);
  std::mt19937 rng(42);
  OneNode g;
  const int64_t oh = (c.h + c.pads[0] + c.pads[2] - (c.k - 1) * c.dilation - 1) / c.stride + 1;
  const int64_t ow = (c.w + c.pads[1] + c.pads[3] - (c.k - 1) * c.dilation - 1) / c.stride + 1;
  std::vector<ir::ValueId> in = {g.add_input("x", random_q(c.dtype_x, {1, c.c, c.h, c.w}, rng))};
  in.push_back(g.add_constant("w", random_tensor<int8_t>(DType::kInt8, {c.m, c.c / c.group, c.k, c.k}, -63, 63, rng)));
  if (c.dtype_bias == DType::kInt32)
    in.push_back(g.add_constant("b", random_tensor<int32_t>(DType::kInt32, {c.m}, -3000, 3000, rng)));
  else if (c.dtype_bias == DType::kFloat32)
    in.push_back(g.add_constant("b", Tensor::from_vector<float>(DType::kFloat32, {c.m}, std::vector<float>(c.m, 123.25f))));
  else
    in.push_back(ir::kNoValue);
  if (c.sum) in.push_back(g.add_input("sum", c.dtype_y == DType::kFloat32
                                                  ? random_tensor<float>(DType::kFloat32, {1, c.m, oh, ow}, -5, 5, rng)
                                                  : random_q(c.dtype_sum, {1, c.m, oh, ow}, rng)));
  std::vector<float> scale_w(c.per_channel ? static_cast<size_t>(c.m) : 1);
  std::uniform_real_distribution<float> sd(0.001f, 0.01f);
  for (float& s : scale_w) s = sd(rng);
  std::map<std::string, ir::Attribute> attrs = {
      {"strides", ints({c.stride, c.stride})}, {"dilations", ints({c.dilation, c.dilation})},
      {"pads", ints(c.pads)}, {"group", int_attr(c.group)}, {"kernel_shape", ints({c.k, c.k})},
      {"scale_x", ir::Attribute::make_float(0.05f)}, {"zero_point_x", int_attr(c.zero_point_x)},
      {"scale_w", ir::Attribute::make_floats(scale_w)},
      {"scale_y", ir::Attribute::make_float(0.5f)}, {"zero_point_y", int_attr(c.zero_point_y)},
      {"dtype_y", ir::Attribute::make_string(c.dtype_y == DType::kUInt8 ? "uint8"
                                             : c.dtype_y == DType::kInt8 ? "int8" : "float32")},
      {"activation", ir::Attribute::make_string(c.activation)},
      {"alpha", ir::Attribute::make_float(c.alpha)}, {"beta", ir::Attribute::make_float(c.beta)},
      {"scale_sum", ir::Attribute::make_float(0.3f)}, {"zero_point_sum", int_attr(c.sum ? 7 : 0)}};
  if (!c.range_acc.empty()) attrs["range_acc"] = ir::Attribute::make_floats(c.range_acc);
  g.set_node(ir::OpKind::QConv, in, attrs);
  std::string kernel;
  const Tensor fast = g.run_compiled(&kernel);
  const bool vnni = rt::onednn::int8::int8_dot_products_exact();
  if (vnni || !c.may_fall_back_without_vnni) {
    EXPECT_EQ(kernel, "dnnl_qconv");
  }
  const Tensor ref = g.run_reference();
  const Mismatch m = compare(fast, ref);
  if (c.dtype_y == DType::kFloat32) {
    // Float outputs: oneDNN may sum the scaled terms in another order.
    EXPECT_LE(m.max_diff, 1e-3) << m.differing << " elements differ";
  } else {
    EXPECT_LE(m.max_diff, c.max_diff + (c.exact_needs_vnni && !vnni ? 1 : 0)) << m.differing << " of " << fast.numel() << " elements differ";
  }
  // The output must not be trivially saturated, or the comparison says little.
  int64_t distinct = 0;
  std::vector<char> seen(512, 0);
  for (int64_t i = 0; i < ref.numel() && c.dtype_y != DType::kFloat32; ++i) {
    const int v = static_cast<int>(element(ref, i)) + 128;
    distinct += !seen[static_cast<size_t>(v)];
    seen[static_cast<size_t>(v)] = 1;
  }
  if (c.dtype_y != DType::kFloat32) EXPECT_GT(distinct, 8) << "test data saturates the output";
}

TEST(DnnlQConv, MatchesReferenceBitForBit) {
  std::vector<ConvCase> cases;
  {
    ConvCase c{"3x3 u8 relu", 16, 9, 9, 24, 3};
    c.pads = {1, 1, 1, 1};
    c.activation = "Relu";
    cases.push_back(c);
  }
  {
    ConvCase c{"odd channels, stride 2, asymmetric pads, s8 in and out", 5, 7, 8, 7, 3};
    c.stride = 2;
    c.pads = {0, 1, 1, 0};
    c.dtype_x = DType::kInt8;
    c.dtype_y = DType::kInt8;
    c.zero_point_y = -3;
    cases.push_back(c);
  }
  {
    ConvCase c{"depthwise, u8 with zero point, padding", 12, 10, 10, 12, 3};
    c.group = 12;
    c.pads = {1, 1, 1, 1};
    c.zero_point_x = 131;
    c.zero_point_y = 9;
    cases.push_back(c);
  }
  {
    ConvCase c{"groups of 4 channels, per-tensor weights, float bias", 8, 6, 6, 6, 1};
    c.group = 2;
    c.per_channel = false;
    c.dtype_bias = DType::kFloat32;
    c.may_fall_back_without_vnni = true;
    cases.push_back(c);
  }
  {
    ConvCase c{"first layer: 3 channels, 7x7 stride 2, zero point", 3, 20, 20, 8, 7};
    c.stride = 2;
    c.pads = {3, 3, 3, 3};
    c.zero_point_x = 114;
    c.dtype_bias = DType::kUndefined;
    cases.push_back(c);
  }
  {
    ConvCase c{"dilation 2, relu6 clip", 16, 11, 11, 16, 3};
    c.dilation = 2;
    c.pads = {2, 2, 2, 2};
    c.activation = "Clip";
    c.alpha = 0.0f;
    c.beta = 6.0f;
    cases.push_back(c);
  }
  {
    ConvCase c{"residual sum with zero points, relu", 32, 7, 7, 32, 1};
    c.zero_point_x = 5;
    c.zero_point_y = 2;
    c.sum = true;
    c.activation = "Relu";
    c.max_diff = 1;  // oneDNN may fuse the sum with an FMA: one step at a rounding tie
    cases.push_back(c);
  }
  {
    ConvCase c{"residual after the clamp of the conv's dropped quantization", 16, 6, 6, 16, 3};
    c.pads = {1, 1, 1, 1};
    c.sum = true;
    c.range_acc = {-2.0f, 3.0f};
    c.activation = "Relu";
    c.max_diff = 1;
    cases.push_back(c);
  }
  {
    ConvCase c{"int8 residual into uint8 output", 16, 5, 5, 16, 3};
    c.pads = {1, 1, 1, 1};
    c.sum = true;
    c.dtype_sum = DType::kInt8;
    c.max_diff = 1;
    cases.push_back(c);
  }
  {
    ConvCase c{"float32 output", 16, 6, 6, 10, 3};
    c.dtype_y = DType::kFloat32;
    cases.push_back(c);
  }
  {
    ConvCase c{"float32 output with float32 residual and sigmoid", 16, 6, 6, 10, 3};
    c.dtype_y = DType::kFloat32;
    c.sum = true;
    c.activation = "Sigmoid";
    cases.push_back(c);
  }
  {
    ConvCase c{"hard swish on the real value, then requantized", 16, 6, 6, 10, 3};
    c.pads = {1, 1, 1, 1};
    c.activation = "HardSwish";
    c.zero_point_y = 20;
    c.max_diff = 1;  // oneDNN's hardswish and the reference's differ in the last float bit
    cases.push_back(c);
  }
  for (const ConvCase& c : cases) run_case(c);
}

}  // namespace
}  // namespace octet::test
