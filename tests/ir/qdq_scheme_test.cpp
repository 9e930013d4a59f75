// ir/qdq/scheme.hpp is ONNX's QuantizeLinear arithmetic, and the kernels compute it: the
// reference kernel to the bit, oneDNN's reorder (which multiplies by 1 / scale) within one
// level, only within a few ulps of a rounding tie.
#include "ir/qdq/scheme.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "runtime/dnnl/dnnl_tester.hpp"
#include "runtime/kernel.hpp"

namespace octet::testing {
namespace {

using ir::qdq::quantize;

TEST(QdqScheme, RoundsHalfToEvenAndSaturates) {
  EXPECT_EQ(quantize(0.5f, 1.0f, 0, DType::kInt8), 0);
  EXPECT_EQ(quantize(1.5f, 1.0f, 0, DType::kInt8), 2);
  EXPECT_EQ(quantize(2.5f, 1.0f, 0, DType::kInt8), 2);
  EXPECT_EQ(quantize(-0.5f, 1.0f, 0, DType::kInt8), 0);
  EXPECT_EQ(quantize(-1.5f, 1.0f, 0, DType::kInt8), -2);
  EXPECT_EQ(quantize(1000.0f, 1.0f, 0, DType::kInt8), 127);
  EXPECT_EQ(quantize(-1000.0f, 1.0f, 0, DType::kInt8), -128);
  EXPECT_EQ(quantize(-3.0f, 1.0f, 2, DType::kUInt8), 0);
  EXPECT_EQ(quantize(3.0f, 0.5f, 128, DType::kUInt8), 134);
  EXPECT_EQ(quantize(std::numeric_limits<float>::infinity(), 0.1f, 3, DType::kUInt8), 255);
  EXPECT_EQ(quantize(-std::numeric_limits<float>::infinity(), 0.1f, 3, DType::kInt8), -128);
  EXPECT_EQ(quantize(std::nanf(""), 0.1f, 3, DType::kUInt8), 3) << "NaN is real 0";
  EXPECT_EQ(quantize(1e30f, 1.0f, 0, DType::kInt32), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(quantize(-0.7f, 0.1f, 0, -63, 63), -7);
  EXPECT_EQ(quantize(9.0f, 0.1f, 0, -63, 63), 63) << "a narrowed (7-bit) range saturates at its own bound";
  EXPECT_FLOAT_EQ(ir::qdq::fake_quantize(0.26f, 0.1f, 0, DType::kInt8), 0.3f);
}

// Values x, scale where x / scale lands on a float32 tie (k + 0.5), and values where float32
// and float64 division round to different integers: the cases where copies of the arithmetic
// used to disagree.
struct Case {
  float x, scale;
};
std::vector<Case> hard_cases(size_t& float_vs_double) {
  std::vector<Case> cases;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> scales(1e-3f, 0.5f);
  float_vs_double = 0;
  for (int i = 0; i < 20000; ++i) {
    const float s = scales(rng);
    const int k = static_cast<int>(rng() % 250) - 125;
    const float x = (static_cast<float>(k) + 0.5f) * s;
    cases.push_back({x, s});
    const double in_double = std::nearbyint(static_cast<double>(x) / static_cast<double>(s));
    if (in_double != std::nearbyint(x / s)) ++float_vs_double;
  }
  return cases;
}

TEST(QdqScheme, DividesInFloat32) {
  size_t float_vs_double = 0;
  const std::vector<Case> cases = hard_cases(float_vs_double);
  // Near-ties where a double division rounds the other way exist: the scheme must pick
  // float32's answer, the one QuantizeLinear gives.
  ASSERT_GT(float_vs_double, 0u);
  for (const Case& c : cases) {
    const float expect = std::fmin(std::fmax(std::nearbyint(c.x / c.scale), -128.0f), 127.0f);
    ASSERT_EQ(quantize(c.x, c.scale, 0, DType::kInt8), static_cast<int32_t>(expect)) << c.x << " / " << c.scale;
  }
}

// Runs QuantizeLinear (scalar scale, int8 zero point `zp`) over `x` with the reference
// kernels and with oneDNN's, returning both outputs.
struct Quantized {
  std::vector<int8_t> ref, dnnl;
};
Quantized run_quantize(const std::vector<float>& x, float scale, int8_t zp) {
  OneNode one(ir::OpKind::QuantizeLinear, 13);
  one.input(Tensor::from_vector<float>(DType::kFloat32, {static_cast<int64_t>(x.size())}, x));
  one.input(Tensor::from_vector<float>(DType::kFloat32, {}, {scale}), true);
  one.input(Tensor::from_vector<int8_t>(DType::kInt8, {}, {zp}), true);
  Quantized q;
  const std::vector<Tensor> ref = rt::evaluate_node(one.graph(), one.node(), one.all_inputs());
  q.ref.assign(ref.at(0).data<int8_t>(), ref.at(0).data<int8_t>() + x.size());
  // oneDNN's kernel directly (the tester's run_kernel reads float outputs back).
  const rt::KernelEntry* entry = find_entry("dnnl_quantize", ir::OpKind::QuantizeLinear);
  EXPECT_NE(entry, nullptr);
  if (!entry) return q;
  const ir::Graph& graph = one.graph();
  const std::vector<const Tensor*> data = one.all_inputs();
  rt::KernelContext ctx;
  ctx.graph = &graph;
  ctx.node = &one.node();
  ctx.threads = 1;
  for (size_t k = 0; k < data.size(); ++k) {
    ctx.inputs.push_back({data[k]->dtype, data[k]->shape, rt::Layout::kPlain});
    ctx.constants.push_back(k == 0 ? nullptr : data[k]);
  }
  ctx.outputs.push_back({DType::kInt8, {static_cast<int64_t>(x.size())}, rt::Layout::kPlain});
  const std::string why = entry->why_not(ctx);
  EXPECT_EQ(why, "");
  if (!why.empty()) return q;
  auto kernel = entry->create(ctx);
  q.dnnl.resize(x.size());
  AlignedBytes scratch(kernel->scratch_bytes());
  std::vector<const void*> src = {x.data(), data[1]->bytes.data(), data[2]->bytes.data()};
  std::vector<void*> dst = {q.dnnl.data()};
  kernel->execute({src.data(), dst.data(), scratch.ptr});
  return q;
}

TEST(QdqScheme, KernelsQuantizeAsTheSchemeDoes) {
  for (const float scale : {0.1f, 0.0173f, 0.37f}) {
    std::vector<float> x;
    for (int k = -140; k < 140; ++k) x.push_back((static_cast<float>(k) + 0.5f) * scale);  // ties
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> any(-200.0f * scale, 200.0f * scale);
    for (int i = 0; i < 4000; ++i) x.push_back(any(rng));
    const int8_t zp = 3;
    const Quantized q = run_quantize(x, scale, zp);
    ASSERT_EQ(q.ref.size(), x.size());
    ASSERT_EQ(q.dnnl.size(), x.size());
    size_t dnnl_off_at_ties = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      const int32_t want = quantize(x[i], scale, zp, DType::kInt8);
      ASSERT_EQ(q.ref[i], want) << "reference kernel, x = " << x[i] << ", scale " << scale;
      if (q.dnnl[i] == want) continue;
      // oneDNN 2.x scales by the reciprocal: x * (1 / scale) is within two ulps of x / scale
      // and may round the other way where that lands within them of a tie, never elsewhere.
      const float r = std::fabs(x[i] / scale);
      const float ulp = std::nextafter(r, INFINITY) - r;
      EXPECT_LE(std::fabs(r - std::trunc(r) - 0.5f), 4 * ulp) << "oneDNN differs away from a tie at x = " << x[i];
      EXPECT_EQ(std::abs(q.dnnl[i] - want), 1) << "x = " << x[i];
      ++dnnl_off_at_ties;
    }
    RecordProperty("dnnl_off_at_ties_scale_" + std::to_string(scale), std::to_string(dnnl_off_at_ties));
  }
}

}  // namespace
}  // namespace octet::testing
