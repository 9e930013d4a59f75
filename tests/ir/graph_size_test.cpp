// Graph size: very deep and very wide models go through every stage (load, verify, shape
// inference, each pass, planning, run, the writer, quantization) with the right answer and
// no recursion as deep as the graph. Sizes are picked to finish in seconds even under ASan;
// times are bench/graph_size.cpp's business, not these tests'.
#include <gtest/gtest.h>

#include <algorithm>

#include "ir/graph.hpp"
#include "octet/engine.hpp"
#include "octet/quantize.hpp"
#include "onnx/loader.hpp"
#include "tests/fixtures/graph_shapes.hpp"
#include "tests/fixtures/temp_dir.hpp"

namespace octet {
namespace {

using testing::ScopedTempDir;

constexpr int64_t kWidth = 8;

Tensor ramp() {
  std::vector<float> x(kWidth);
  for (int64_t i = 0; i < kWidth; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i) - 3.5f;
  return Tensor::from_vector<float>(DType::kFloat32, {1, kWidth}, x);
}

void expect_relu_times(const Tensor& out, const Tensor& x, float factor) {
  ASSERT_EQ(out.shape, x.shape);
  for (int64_t i = 0; i < x.numel(); ++i)
    EXPECT_FLOAT_EQ(out.data<float>()[i], factor * std::max(x.data<float>()[i], 0.0f)) << "element " << i;
}

// 100k nodes: an Identity every fourth node (remove_identity rewires the chain 25k times) and
// Neg pairs between Relus, so the chain is neither all in-place nor all removable.
TEST(GraphSize, DeepChainLoadsCompilesRunsAndSaves) {
  ScopedTempDir dir("octet-deep");
  const int depth = 100000;
  testing::chain_model(depth, kWidth, {"Relu", "Identity", "Neg", "Neg"}).save(dir.path("deep.onnx"));
  const Model model = Model::load(dir.path("deep.onnx"));
  EXPECT_EQ(model.graph().nodes.size(), static_cast<size_t>(depth));

  CompileOptions options;
  options.threads = 1;
  CompiledModel compiled = CompiledModel::compile(model, options);
  EXPECT_EQ(compiled.graph().live_node_count(), static_cast<size_t>(depth - depth / 4));
  const Tensor x = ramp();
  expect_relu_times(compiled.run({x}).at(0), x, 1.0f);
  expect_relu_times(compiled.run({x}).at(0), x, 1.0f);  // a second run reuses the bound plan

  // The writer walks (copy, compact, verify, one NodeProto per node) and the reload.
  model.save(dir.path("again.onnx"));
  const Model again = Model::load(dir.path("again.onnx"));
  EXPECT_EQ(again.graph().nodes.size(), static_cast<size_t>(depth));
  EXPECT_EQ(again.graph().value(again.graph().outputs.at(0)).name, "y");
}

// Many branches alive at once: the arena planner's overlap budget is exceeded (2,000 branch
// ends live together) and the balanced tree of Adds sums them back.
TEST(GraphSize, WideGraphRunsWithEveryBranchAlive) {
  ScopedTempDir dir("octet-wide");
  const int branches = 2000;
  testing::wide_model(branches, 2, kWidth).save(dir.path("wide.onnx"));
  CompileOptions options;
  options.threads = 1;
  CompiledModel compiled = CompiledModel::compile(Model::load(dir.path("wide.onnx")), options);
  const Tensor x = ramp();
  expect_relu_times(compiled.run({x}).at(0), x, static_cast<float>(branches));
  // Every branch end is alive before the first Add: the arena holds them all, and no more
  // than a few extra buffers.
  const size_t buffer = kWidth * sizeof(float) < 64 ? 64 : kWidth * sizeof(float);
  EXPECT_GE(compiled.arena_bytes(), branches * buffer);
  EXPECT_LE(compiled.arena_bytes(), (branches + 8) * buffer);
}

// The quantizer's walks over a deep graph: quantizer selection (downstream through the whole
// Relu chain), calibration with its per-tensor NaN bookkeeping, QDQ insertion with a fresh
// name per tensor, then the INT8 model compiled (fold_qdq) and run.
TEST(GraphSize, DeepChainQuantizes) {
  ScopedTempDir dir("octet-deep-quant");
  const int relus = 20000;
  testing::OnnxBuilder b;
  b.input("x", {int64_t{1}, kWidth}).output("y", {int64_t{1}, kWidth});
  std::vector<float> eye(kWidth * kWidth, 0.0f);
  for (int64_t i = 0; i < kWidth; ++i) eye[static_cast<size_t>(i * kWidth + i)] = 1.0f;
  b.initializer("w0", {kWidth, kWidth}, eye).initializer("w1", {kWidth, kWidth}, eye);
  b.node("MatMul", {"x", "w0"}, {"m0"}, "mm0");
  std::string prev = "m0";
  for (int i = 0; i < relus; ++i) {
    const std::string out = "r" + std::to_string(i);
    b.node("Relu", {prev}, {out}, "relu" + std::to_string(i));
    prev = out;
  }
  b.node("MatMul", {prev, "w1"}, {"y"}, "mm1");
  b.save(dir.path("deep.onnx"));
  const Model model = Model::load(dir.path("deep.onnx"));

  const Tensor x = ramp();
  SampleSource samples;
  samples.count = 4;
  samples.get = [&](size_t) { return std::vector<Tensor>{x}; };
  QuantizeOptions options;
  options.subset_size = 4;
  options.report_subset_size = 2;
  options.threads = 1;
  const QuantizeResult result = quantize(model, samples, options);
  result.model.save(dir.path("int8.onnx"));
  CompileOptions copts;
  copts.threads = 1;
  CompiledModel int8 = CompiledModel::compile(Model::load(dir.path("int8.onnx")), copts);
  const Tensor y = int8.run({x}).at(0);
  // Within one quantization step of relu(x) (the range is [-3.5, 3.5]: a step of ~0.03).
  for (int64_t i = 0; i < kWidth; ++i)
    EXPECT_NEAR(y.data<float>()[i], std::max(x.data<float>()[i], 0.0f), 0.1f) << "element " << i;
}

// Unique names are found without rescanning the graph, and stay unique after compaction and
// after a copy (whose name cache is rebuilt).
TEST(GraphSize, UniqueNamesStayUnique) {
  ir::Graph g;
  std::vector<std::string> names;
  for (int i = 0; i < 1000; ++i) names.push_back(g.value(g.add_constant("w", Tensor(DType::kFloat32, {1}))).name);
  ir::Graph copy = g;
  names.push_back(copy.unique_value_name("w"));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::unique(names.begin(), names.end()), names.end());
  EXPECT_EQ(names.front(), "w");
  EXPECT_EQ(copy.unique_value_name("w_1000"), "w_1000_1");
  EXPECT_EQ(copy.unique_node_name("n"), "n");
  EXPECT_EQ(copy.unique_node_name("n"), "n_1");  // the first call took "n"
}

}  // namespace
}  // namespace octet
