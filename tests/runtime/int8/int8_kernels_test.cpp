// The oneDNN INT8 kernels other than QConv against the reference kernels (QFullyConnected,
// QAveragePool, MaxPool on uint8/int8) and against the ONNX formulas (Concat of quantized
// tensors, QuantizeLinear and DequantizeLinear as scaling reorders), on random data.
#include <gtest/gtest.h>

#include "runtime/dnnl/int8/int8_kernels.hpp"
#include "runtime/int8/int8_kernel_util.hpp"

namespace octet::test {
namespace {

ir::Attribute f(float v) { return ir::Attribute::make_float(v); }
ir::Attribute s(const char* v) { return ir::Attribute::make_string(v); }

TEST(DnnlQFullyConnected, MatchesReference) {
  struct Case {
    const char* name;
    Shape x;
    int64_t n;
    DType dtype_x;
    int32_t zero_point_x;
    const char* dtype_y;
    int32_t zero_point_y;
    bool per_channel;
    DType dtype_bias;
    const char* activation;
  };
  for (const Case& c : {Case{"u8 with zero point, per channel, int32 bias, relu", {2, 40}, 13, DType::kUInt8, 120, "uint8", 3,
                             true, DType::kInt32, "Relu"},
                        Case{"s8, per tensor, float bias, int8 out", {3, 17}, 9, DType::kInt8, 0, "int8", -5, false,
                             DType::kFloat32, ""},
                        Case{"rank 3 input, float32 out, no bias", {2, 3, 24}, 10, DType::kUInt8, 7, "float32", 0, true,
                             DType::kUndefined, ""}}) {
    SCOPED_TRACE(c.name);
    std::mt19937 rng(3);
    OneNode g;
    const int64_t k = c.x.back();
    std::vector<ir::ValueId> in = {g.add_input("x", random_q(c.dtype_x, c.x, rng)),
                                   g.add_constant("w", random_tensor<int8_t>(DType::kInt8, {k, c.n}, -63, 63, rng))};
    if (c.dtype_bias == DType::kInt32)
      in.push_back(g.add_constant("b", random_tensor<int32_t>(DType::kInt32, {c.n}, -2000, 2000, rng)));
    else if (c.dtype_bias == DType::kFloat32)
      in.push_back(g.add_constant("b", random_tensor<float>(DType::kFloat32, {c.n}, -500, 500, rng)));
    std::vector<float> scale_w(c.per_channel ? static_cast<size_t>(c.n) : 1);
    for (size_t i = 0; i < scale_w.size(); ++i) scale_w[i] = 0.002f + 0.0005f * static_cast<float>(i);
    g.set_node(ir::OpKind::QFullyConnected, in,
               {{"scale_x", f(0.04f)}, {"zero_point_x", int_attr(c.zero_point_x)},
                {"scale_w", ir::Attribute::make_floats(scale_w)}, {"scale_y", f(0.2f)},
                {"zero_point_y", int_attr(c.zero_point_y)}, {"dtype_y", s(c.dtype_y)}, {"activation", s(c.activation)}});
    std::string kernel;
    const Tensor fast = g.run_compiled(&kernel);
    EXPECT_EQ(kernel, "dnnl_qfully_connected");
    const Mismatch m = compare(fast, g.run_reference());
    EXPECT_LE(m.max_diff, std::string(c.dtype_y) == "float32" ? 1e-3 : 0.0) << m.differing << " differ";
  }
}

TEST(DnnlInt8Pooling, MaxPoolMatchesReference) {
  for (DType dtype : {DType::kUInt8, DType::kInt8}) {
    std::mt19937 rng(5);
    OneNode g;
    const ir::ValueId x = g.add_input("x", random_q(dtype, {1, 7, 11, 10}, rng));
    g.set_node(ir::OpKind::MaxPool, {x},
               {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"pads", ints({1, 1, 1, 0})},
                {"ceil_mode", int_attr(1)}});
    std::string kernel;
    const Tensor fast = g.run_compiled(&kernel);
    EXPECT_EQ(kernel, "dnnl_int8_maxpool");
    EXPECT_EQ(fast.dtype, dtype);
    EXPECT_EQ(compare(fast, g.run_reference()).differing, 0);
  }
}

TEST(DnnlInt8Pooling, AveragePoolWithOneQuantizationMatchesReference) {
  struct Case {
    const char* name;
    bool global;
    int32_t zero_point;
    int64_t include_pad;
  };
  for (const Case& c : {Case{"3x3 include pad, zero point 0", false, 0, 1},
                        Case{"3x3 exclude pad, zero point 100", false, 100, 0},
                        Case{"global, zero point 30", true, 30, 0}}) {
    SCOPED_TRACE(c.name);
    std::mt19937 rng(9);
    OneNode g;
    const ir::ValueId x = g.add_input("x", random_q(DType::kUInt8, {1, 9, 7, 7}, rng));
    std::map<std::string, ir::Attribute> attrs = {
        {"scale_x", f(0.1f)}, {"zero_point_x", int_attr(c.zero_point)}, {"scale_y", f(0.1f)},
        {"zero_point_y", int_attr(c.zero_point)}, {"dtype_y", s("uint8")}, {"count_include_pad", int_attr(c.include_pad)}};
    if (c.global) {
      attrs["global"] = int_attr(1);
    } else {
      attrs["kernel_shape"] = ints({3, 3});
      attrs["pads"] = ints({1, 1, 1, 1});
    }
    g.set_node(ir::OpKind::QAveragePool, {x}, attrs);
    std::string kernel;
    const Tensor fast = g.run_compiled(&kernel);
    // oneDNN's AVX2 pooling has no fast global 7x7 for uint8; the reference runs it there.
    if (!c.global || rt::onednn::int8::int8_dot_products_exact()) {
      EXPECT_EQ(kernel, "dnnl_qaverage_pool");
    }
    // Means fall on .5 ties (a window of 2 or 4 at borders); both round half to even, but
    // oneDNN may divide by multiplying with the reciprocal: one step at most.
    const Mismatch m = compare(fast, g.run_reference());
    EXPECT_LE(m.max_diff, 1.0);
    EXPECT_LE(m.differing, fast.numel() / 50) << m.differing << " of " << fast.numel();
  }
}

TEST(DnnlInt8Pooling, AveragePoolThatRequantizesFallsBackToTheReference) {
  std::mt19937 rng(9);
  OneNode g;
  const ir::ValueId x = g.add_input("x", random_q(DType::kUInt8, {1, 4, 5, 5}, rng));
  g.set_node(ir::OpKind::QAveragePool, {x},
             {{"scale_x", f(0.1f)}, {"scale_y", f(0.05f)}, {"zero_point_y", int_attr(3)}, {"dtype_y", s("uint8")},
              {"global", int_attr(1)}});
  std::string kernel;
  g.run_compiled(&kernel);
  EXPECT_EQ(kernel, "ref_qaverage_pool");
}

TEST(DnnlInt8Concat, ConcatenatesQuantizedTensorsOnChannels) {
  std::mt19937 rng(11);
  OneNode g;
  const Tensor a = random_q(DType::kUInt8, {1, 3, 4, 5}, rng), b = random_q(DType::kUInt8, {1, 5, 4, 5}, rng);
  const ir::ValueId va = g.add_input("a", a), vb = g.add_input("b", b);
  g.set_node(ir::OpKind::Concat, {va, vb}, {{"axis", int_attr(1)}});
  std::string kernel;
  const Tensor y = g.run_compiled(&kernel);
  EXPECT_EQ(kernel, "dnnl_int8_concat");
  ASSERT_EQ(y.shape, (Shape{1, 8, 4, 5}));
  for (int64_t c = 0; c < 8; ++c)
    for (int64_t i = 0; i < 20; ++i) {
      const uint8_t want = c < 3 ? a.data<uint8_t>()[c * 20 + i] : b.data<uint8_t>()[(c - 3) * 20 + i];
      ASSERT_EQ(y.data<uint8_t>()[c * 20 + i], want) << "channel " << c << " element " << i;
    }
}

// QuantizeLinear then DequantizeLinear through the oneDNN reorders, against the formulas.
TEST(DnnlInt8Reorders, QuantizeAndDequantizeFollowOnnx) {
  for (DType dtype : {DType::kUInt8, DType::kInt8}) {
    SCOPED_TRACE(dtype_name(dtype));
    const float scale = 0.037f;
    const int32_t zp = dtype == DType::kUInt8 ? 131 : -7;
    std::mt19937 rng(13);
    Tensor x = random_tensor<float>(DType::kFloat32, {2, 6, 5, 7}, -6, 6, rng);
    std::uniform_real_distribution<float> d(-6.0f, 6.0f);
    for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = d(rng);
    x.data<float>()[0] = 1e6f;  // saturates
    x.data<float>()[1] = 2.5f * scale;  // a tie: rounds to even
    OneNode q;
    const ir::ValueId xv = q.add_input("x", x);
    Tensor zpt(dtype, {});
    if (dtype == DType::kUInt8) zpt.data<uint8_t>()[0] = static_cast<uint8_t>(zp);
    else zpt.data<int8_t>()[0] = static_cast<int8_t>(zp);
    q.set_node(ir::OpKind::QuantizeLinear,
               {xv, q.add_constant("s", Tensor::from_vector<float>(DType::kFloat32, {}, {scale})), q.add_constant("zp", zpt)},
               {});
    std::string kernel;
    const Tensor y = q.run_compiled(&kernel);
    EXPECT_EQ(kernel, "dnnl_quantize");
    int64_t off = 0;
    double worst = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double want = std::clamp(std::nearbyint(static_cast<double>(x.data<float>()[i]) / scale) + zp,
                                     dtype == DType::kUInt8 ? 0.0 : -128.0, dtype == DType::kUInt8 ? 255.0 : 127.0);
      const double d2 = std::fabs(element(y, i) - want);
      off += d2 != 0;
      worst = std::max(worst, d2);
    }
    // x * (1 / scale) and x / scale can differ in the last bit: one step, rarely.
    EXPECT_LE(worst, 1.0);
    EXPECT_LE(off, x.numel() / 200);
    EXPECT_EQ(element(y, 0), dtype == DType::kUInt8 ? 255.0 : 127.0);

    OneNode dq;
    const ir::ValueId yv = dq.add_input("y", y);
    dq.set_node(ir::OpKind::DequantizeLinear,
                {yv, dq.add_constant("s", Tensor::from_vector<float>(DType::kFloat32, {}, {scale})), dq.add_constant("zp", zpt)},
                {});
    const Tensor back = dq.run_compiled(&kernel);
    EXPECT_EQ(kernel, "dnnl_dequantize");
    for (int64_t i = 0; i < y.numel(); ++i)
      ASSERT_FLOAT_EQ(back.data<float>()[i], static_cast<float>(element(y, i) - zp) * scale) << i;
  }
}

}  // namespace
}  // namespace octet::test
