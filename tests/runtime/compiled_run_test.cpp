// CompiledModel::run into caller-owned outputs: the same numbers as the convenient run, a
// clear error for a tensor that does not fit, and no heap allocation by octet per run. The
// last is counted by replacing the global operator new in this test binary (sanitizer builds
// keep their own allocator, so there the count is skipped), on a model that only octet's own
// kernels run: oneDNN 2.6's primitive execute allocates inside the library (its argument
// maps, measured at 24 operator new calls per run of the convolution model below), which
// octet cannot avoid.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "fixtures/onnx_builder.hpp"
#include "octet/engine.hpp"
#include "octet/error.hpp"
#include "quant/quant_test_util.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define OCTET_COUNTS_ALLOCATIONS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OCTET_COUNTS_ALLOCATIONS 0
#endif
#endif
#ifndef OCTET_COUNTS_ALLOCATIONS
#define OCTET_COUNTS_ALLOCATIONS 1
#endif

#if OCTET_COUNTS_ALLOCATIONS
namespace {
std::atomic<long> g_news{0};
}  // namespace
void* operator new(size_t size) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
#endif

namespace octet::testing {
namespace {

// x [1,8,16,16] -> Conv 3x3 (8) -> Relu -> GlobalAveragePool -> Flatten -> y [1,8], and the
// conv output as a second output: float kernels of oneDNN and the reference, and a view.
Model small_model() {
  OnnxBuilder b;
  b.input("x", {1, 8, 16, 16}).output("y", {1, 8}).output("c", {1, 8, 16, 16});
  const Tensor w = random_tensor({8 * 8 * 9}, 11);
  b.initializer("w", {8, 8, 3, 3}, std::vector<float>(w.data<float>(), w.data<float>() + w.numel()));
  b.node("Conv", {"x", "w"}, {"c0"}, "conv").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  b.node("Relu", {"c0"}, {"c"}, "relu");
  b.node("GlobalAveragePool", {"c"}, {"g"}, "gap");
  b.node("Flatten", {"g"}, {"y"}, "flatten");
  return Model::load_from_bytes(b.bytes(), "small");
}

// x [1,8,16,16] -> Transpose -> Sin -> ReduceSum(last axis) -> y [1,16,16], and the Sin
// output as a second output: reference kernels only (no oneDNN primitive for these).
Model reference_only_model() {
  OnnxBuilder b;
  b.input("x", {1, 8, 16, 16}).output("y", {1, 16, 16}).output("s", {1, 16, 16, 8});
  b.node("Transpose", {"x"}, {"t"}, "nhwc").attr("perm", std::vector<int64_t>{0, 2, 3, 1});
  b.node("Sin", {"t"}, {"s"}, "sin");
  b.initializer_int64("axes", {1}, {3});
  b.node("ReduceSum", {"s", "axes"}, {"y"}, "sum").attr("keepdims", int64_t{0});
  return Model::load_from_bytes(b.bytes(), "reference only");
}

std::vector<Tensor> output_buffers(const CompiledModel& m) {
  std::vector<Tensor> out;
  for (const ValueInfo& o : m.outputs()) out.emplace_back(o.dtype, o.shape);
  return out;
}

TEST(CompiledRun, IntoCallerOutputsGivesTheSameNumbers) {
  CompileOptions options;
  options.threads = 1;
  CompiledModel m = CompiledModel::compile(small_model(), options);
  const Tensor x = random_tensor({1, 8, 16, 16}, 4);
  const std::vector<Tensor> want = m.run({x});
  std::vector<Tensor> got = output_buffers(m);
  m.run({x}, got);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(got[i].bytes, want[i].bytes) << m.outputs()[i].name;
}

TEST(CompiledRun, IntoCallerOutputsAllocatesNothing) {
#if !OCTET_COUNTS_ALLOCATIONS
  GTEST_SKIP() << "a sanitizer's allocator is in place";
#else
  CompileOptions options;
  options.threads = 1;
  CompiledModel m = CompiledModel::compile(reference_only_model(), options);
  for (const NodeKernel& k : m.kernels()) ASSERT_EQ(k.kernel.rfind("ref_", 0), 0u) << k.node << " runs on " << k.kernel;
  const std::vector<Tensor> x = {random_tensor({1, 8, 16, 16}, 4)};
  std::vector<Tensor> out = output_buffers(m);
  m.run(x, out);  // warm: anything a kernel sets up lazily happens here
  const long before = g_news.load();
  for (int i = 0; i < 10; ++i) m.run(x, out);
  EXPECT_EQ(g_news.load() - before, 0) << "operator new calls in 10 runs";
  // The convenient run allocates its outputs (and here nothing else): a sanity check that the
  // counter counts.
  const long convenient = g_news.load();
  (void)m.run(x);
  EXPECT_GT(g_news.load() - convenient, 0);
#endif
}

TEST(CompiledRun, IntoCallerOutputsRefusesTensorsThatDoNotFit) {
  CompiledModel m = CompiledModel::compile(small_model());
  const Tensor x = random_tensor({1, 8, 16, 16}, 4);
  auto message = [&](std::vector<Tensor> inputs, std::vector<Tensor> outputs) -> std::string {
    try {
      m.run(inputs, outputs);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  std::vector<Tensor> out = output_buffers(m);
  EXPECT_NE(message({random_tensor({1, 8, 8, 8}, 1)}, out).find("input 'x' has shape [1,8,8,8]"), std::string::npos);
  Tensor as_int(DType::kInt32, {1, 8, 16, 16});
  EXPECT_NE(message({as_int}, out).find("converts nothing"), std::string::npos);
  EXPECT_NE(message({x}, {out[0]}).find("2 outputs, 1 tensors"), std::string::npos);
  std::vector<Tensor> wrong = out;
  wrong[1] = Tensor(DType::kFloat32, {1, 8, 16, 15});
  const std::string m1 = message({x}, wrong);
  EXPECT_NE(m1.find("output 'c'"), std::string::npos) << m1;
  EXPECT_NE(m1.find("[1,8,16,15]"), std::string::npos) << m1;
}

}  // namespace
}  // namespace octet::testing
