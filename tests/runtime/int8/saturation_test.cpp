// Saturation of oneDNN's INT8 convolution on CPUs without VNNI: there u8 x s8 products are
// summed in pairs into a saturating int16 (VPMADDUBSW), so 8-bit weights against large
// activations can lose the exact integer result; 7-bit weights (|w| <= 63: 2 * 255 * 63 <
// 32767) cannot. These tests compare the oneDNN QConv with the reference (exact int32) on the
// worst case, and, given a QDQ model in OCTET_SATURATION_MODEL, on every real layer of it.
// Run them under ONEDNN_MAX_CPU_ISA=AVX2 to see the AVX2 kernels on a VNNI machine.
#include <gtest/gtest.h>

#include <cstdlib>
#include <iostream>

#include "octet/data.hpp"
#include "octet/quantize.hpp"
#include "passes/pipeline.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"
#include "runtime/int8/int8_kernel_util.hpp"

namespace octet::test {
namespace {

// A 1x1 QConv over 64 channels with X all 255.
Mismatch worst_case(int w, Tensor* fast_out = nullptr) {
  OneNode g;
  Tensor x(DType::kUInt8, {1, 64, 4, 4});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<uint8_t>()[i] = 255;
  Tensor wt(DType::kInt8, {8, 64, 1, 1});
  // Output channel m has every weight +w (m even) or -w (m odd): each pair of products is
  // +-2 * 255 * w, the largest magnitude VPMADDUBSW can be asked to hold.
  for (int64_t i = 0; i < wt.numel(); ++i) wt.data<int8_t>()[i] = static_cast<int8_t>((i / 64) % 2 ? -w : w);
  const ir::ValueId xv = g.add_input("x", x);
  const ir::ValueId wv = g.add_constant("w", wt);
  g.set_node(ir::OpKind::QConv, {xv, wv},
             {{"scale_x", ir::Attribute::make_float(1.0f)},
              {"scale_w", ir::Attribute::make_floats({1.0f})},
              {"dtype_y", ir::Attribute::make_string("float32")}});
  std::string kernel;
  const Tensor fast = g.run_compiled(&kernel);
  EXPECT_EQ(kernel, "dnnl_qconv");
  if (fast_out) *fast_out = fast;
  return compare(fast, g.run_reference());
}

TEST(Int8Saturation, SevenBitWeightsAreExactOnAnyCpu) {
  const Mismatch m = worst_case(63);
  EXPECT_EQ(m.differing, 0) << "largest difference " << m.max_diff;
}

TEST(Int8Saturation, EightBitWeightsSaturateOnlyWithoutVnni) {
  const Mismatch m = worst_case(127);
  if (rt::onednn::int8::int8_dot_products_exact()) {
    EXPECT_EQ(m.differing, 0) << "a VNNI CPU accumulates in int32; largest difference " << m.max_diff;
  } else {
    // 255 * 127 * 2 = 64770 > 32767: the pair sums clip in int16.
    EXPECT_GT(m.differing, 0) << "expected int16 saturation without VNNI";
    std::cout << "without VNNI, worst case: " << m.differing << " elements off, by up to " << m.max_diff
              << " (exact accumulator magnitude " << 255 * 127 * 32 << ")\n";
  }
}

// The committed Fashion-MNIST ResNet quantized as a user would (300 training images, the
// saturation fix the CPU needs: `detect` where oneDNN's kernels pair products in int16).
Model quantized_fmnist_resnet() {
  const Model fp32 = Model::load(std::string(OCTET_SOURCE_DIR) + "/models/fmnist_resnet.onnx");
  const auto train = open_dataset("fashion-mnist:train", "", Preprocess::from_model(fp32));
  const std::vector<size_t> indices = sample_indices(train->size(), 300, 0);
  SampleSource samples{indices.size(), [&](size_t i) { return train->sample(indices.at(i)).inputs; }};
  QuantizeOptions options;
  options.threads = 2;
  options.report_subset_size = 0;
  options.saturation_fix = rt::onednn::int8::int8_dot_products_exact() ? SaturationFix::kAuto : SaturationFix::kDetect;
  return quantize(fp32, samples, options).model;
}

// Per-layer measurement on a real QDQ model: every QConv's and QFullyConnected's real inputs
// (from one run of the folded model on a test image, or a random one for another model given
// in OCTET_SATURATION_MODEL) through the oneDNN kernel and the reference. Also run by CTest
// under ONEDNN_MAX_CPU_ISA=AVX2, where oneDNN's kernels are the ones without VNNI.
TEST(Int8Saturation, RealLayersOfAQdqModel) {
  const char* env = std::getenv("OCTET_SATURATION_MODEL");
  const std::string path = env ? env : "the quantized models/fmnist_resnet.onnx";
  Model model = env ? Model::load(env) : quantized_fmnist_resnet();
  CompileOptions options;
  options.threads = 2;
  options.batch = 1;
  // The folded graph, with every QConv input that is not a constant made a graph output.
  ir::Graph graph = CompiledModel::compile(model, options).graph();
  std::vector<ir::NodeId> convs;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    if (graph.nodes[n].op != ir::OpKind::QConv && graph.nodes[n].op != ir::OpKind::QFullyConnected) continue;
    convs.push_back(static_cast<ir::NodeId>(n));
    for (ir::ValueId v : graph.nodes[n].inputs)
      if (v != ir::kNoValue && !graph.value(v).is_constant() && !graph.is_graph_output(v)) graph.outputs.push_back(v);
  }
  ASSERT_FALSE(convs.empty()) << path << " has no QConv or QFullyConnected after folding";
  CompileOptions no_passes = options;
  no_passes.optimize = false;
  CompiledModel probe = CompiledModel::compile(Model(std::make_shared<ir::Graph>(graph)), no_passes);
  std::mt19937 rng(7);
  std::vector<Tensor> inputs;
  if (!env) {
    inputs = open_dataset("fashion-mnist:test", "", Preprocess::from_model(model))->sample(0).inputs;
  } else {
    for (const ValueInfo& in : probe.inputs()) {
      Tensor t(DType::kFloat32, in.shape);
      std::normal_distribution<float> d(0.0f, 1.0f);
      for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
      inputs.push_back(std::move(t));
    }
  }
  const std::vector<Tensor> outs = probe.run(inputs);
  std::map<ir::ValueId, const Tensor*> value_data;
  for (size_t i = 0; i < graph.outputs.size(); ++i) value_data[graph.outputs[i]] = &outs[i];

  int64_t total = 0, differing = 0;
  double worst = 0.0;
  for (ir::NodeId n : convs) {
    const ir::Node& node = graph.nodes[static_cast<size_t>(n)];
    OneNode g;
    std::vector<ir::ValueId> ins;
    for (ir::ValueId v : node.inputs) {
      if (v == ir::kNoValue) ins.push_back(v);
      else if (graph.value(v).is_constant()) ins.push_back(g.add_constant(graph.value(v).name, *graph.value(v).data));
      else ins.push_back(g.add_input(graph.value(v).name, *value_data.at(v)));
    }
    g.set_node(node.op, ins, node.attrs);
    std::string kernel;
    const Mismatch m = compare(g.run_compiled(&kernel), g.run_reference());
    total += g.graph.value(g.graph.outputs[0]).shape.empty() ? 0 : shape_numel(g.graph.value(g.graph.outputs[0]).shape);
    differing += m.differing;
    worst = std::max(worst, m.max_diff);
    if (m.differing > 0)
      std::cout << node.name << " (" << kernel << "): " << m.differing << " elements differ, by up to " << m.max_diff
                << " steps\n";
  }
  std::cout << path << ": " << convs.size() << " QConv/QFullyConnected layers, " << differing << " of " << total
            << " output elements differ from exact integer arithmetic (largest " << worst << " steps) on "
            << (rt::onednn::int8::int8_dot_products_exact() ? "a VNNI" : "a non-VNNI") << " oneDNN ISA\n";
  RecordProperty("differing", std::to_string(differing));
  RecordProperty("worst_steps", std::to_string(worst));
  if (rt::onednn::int8::int8_dot_products_exact() || !env) EXPECT_LE(worst, 1.0);
}

}  // namespace
}  // namespace octet::test
