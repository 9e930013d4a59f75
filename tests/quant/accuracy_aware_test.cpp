// AccuracyAwareQuantization: what a revert does to the setup and the QDQ graph (other readers
// keep their Q/DQ, orphaned scale-sharing pairs go, tuned ranges cover a whole scale group),
// and the search end to end on a small model built so that DefaultQuantization misses the
// bound: the search must meet it by returning the sensitive layers, and only those, to FP32.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "octet/accuracy_aware.hpp"
#include "quant/algorithms/revert_layer.hpp"
#include "quant/transforms/insert_qdq.hpp"
#include "quant_test_util.hpp"

namespace octet::quant {
namespace {

using ir::OpKind;
using testing::conv_attrs;
using testing::GraphBuilder;
using testing::random_tensor;
using testing::small_cnn;


// Ranges, parameters and weights as DefaultQuantization would leave them.
QuantSetup filled_setup(const ir::Graph& g) {
  QuantSetup s = select_quantizers(g, {});
  for (ActivationQuantizer& a : s.activations) {
    a.range = {-1, 2};
    a.params = activation_qparams(a.range, QuantPreset::kPerformance);
  }
  for (LayerQuantizer& l : s.layers) {
    const Tensor& w = *g.value(g.nodes[static_cast<size_t>(l.node)].input(static_cast<size_t>(l.weight_input))).data;
    const size_t channels = static_cast<size_t>(w.shape[static_cast<size_t>(l.weight_axis())]);
    l.weights = quantize_weights(w, l.weight_axis(), std::vector<int8_t>(channels, 127), "max");
  }
  return s;
}

size_t unit_named(const std::vector<RevertUnit>& units, const std::string& name) {
  for (size_t i = 0; i < units.size(); ++i)
    if (units[i].name == name) return i;
  throw Error("no unit " + name);
}

const ir::Node& node_named(const ir::Graph& g, const std::string& name) {
  for (const ir::Node& n : g.nodes)
    if (n.name == name) return n;
  throw Error("no node " + name);
}

std::vector<std::string> quantized_tensors(const ir::Graph& q) {
  std::vector<std::string> names;
  for (const ir::Node& n : q.nodes)
    if (n.op == OpKind::QuantizeLinear) names.push_back(q.value(n.input(0)).name);
  std::sort(names.begin(), names.end());
  return names;
}

TEST(RevertUnits, LayersThenScaleSharingNodes) {
  const GraphBuilder b = small_cnn(11);
  const QuantSetup s = filled_setup(b.g);
  const std::vector<RevertUnit> units = revert_units(b.g, s);
  std::vector<std::string> names;
  for (const RevertUnit& u : units) names.push_back(u.name + (u.kind == RevertUnit::Kind::kLayer ? ":layer" : ":group"));
  EXPECT_EQ(names, (std::vector<std::string>{"conv1:layer", "conv2:layer", "fc:layer", "pool:group", "gap:group"}));
  EXPECT_EQ(units[unit_named(units, "conv2")].quantizers.size(), 1u) << "input and residual are one tensor";
}

TEST(RevertUnits, RevertedLayerReadsFp32AndOrphanedPairsGo) {
  const GraphBuilder b = small_cnn(11);
  const QuantSetup base = filled_setup(b.g);
  const std::vector<RevertUnit> units = revert_units(b.g, base);
  EXPECT_EQ(quantized_tensors(insert_qdq(b.g, base)),
            (std::vector<std::string>{"conv1_out", "conv2_out", "flatten_out", "gap_out", "input", "pool_out"}));

  // conv2 back to FP32: pool_out loses its only reader, and then the pool's input pair (shared
  // with pool_out so the pool could run in INT8) serves nothing either.
  SearchPoint p;
  p.reverted.insert(unit_named(units, "conv2"));
  const ir::Graph q = insert_qdq(b.g, apply_point(b.g, base, units, p, QuantPreset::kPerformance));
  EXPECT_EQ(quantized_tensors(q), (std::vector<std::string>{"conv2_out", "flatten_out", "gap_out", "input"}));
  const ir::Node& conv2 = node_named(q, "conv2");
  EXPECT_EQ(q.value(conv2.input(0)).name, "pool_out");
  EXPECT_EQ(q.value(conv2.input(3)).name, "pool_out");
  ASSERT_NE(q.constant(conv2.input(1)), nullptr);
  EXPECT_EQ(q.constant(conv2.input(1))->bytes, b.g.constant(node_named(b.g, "conv2").input(1))->bytes)
      << "the original FP32 weights";
  EXPECT_EQ(q.constant(conv2.input(2))->bytes, b.g.constant(node_named(b.g, "conv2").input(2))->bytes);
  // conv1 keeps its INT8 weights and its input pair.
  const ir::Node& conv1 = node_named(q, "conv1");
  EXPECT_EQ(q.nodes[static_cast<size_t>(q.value(conv1.input(1)).producer)].op, OpKind::DequantizeLinear);

  // fc back to FP32: the GAP pair goes with it; conv2 keeps everything.
  SearchPoint f;
  f.reverted.insert(unit_named(units, "fc"));
  const ir::Graph qf = insert_qdq(b.g, apply_point(b.g, base, units, f, QuantPreset::kPerformance));
  EXPECT_EQ(quantized_tensors(qf), (std::vector<std::string>{"conv1_out", "input", "pool_out"}));
  EXPECT_EQ(qf.value(node_named(qf, "fc").input(0)).name, "flatten_out");
}

TEST(RevertUnits, SharedInputKeepsItsPairForOtherReaders) {
  // x feeds two layers; reverting one leaves the other reading x through Q/DQ.
  GraphBuilder b;
  const auto x = b.input("x", {1, 6});
  const auto a = b.node(OpKind::FullyConnected, "fa", {x, b.constant("wa", random_tensor({6, 4}, 1))}, {1, 4});
  const auto c = b.node(OpKind::FullyConnected, "fb", {x, b.constant("wb", random_tensor({6, 4}, 2))}, {1, 4});
  b.output(a);
  b.output(c);
  const QuantSetup base = filled_setup(b.g);
  const std::vector<RevertUnit> units = revert_units(b.g, base);
  SearchPoint p;
  p.reverted.insert(unit_named(units, "fa"));
  const ir::Graph q = insert_qdq(b.g, apply_point(b.g, base, units, p, QuantPreset::kPerformance));
  EXPECT_EQ(q.value(node_named(q, "fa").input(0)).name, "x");
  const ir::Node& fb = node_named(q, "fb");
  EXPECT_EQ(q.nodes[static_cast<size_t>(q.value(fb.input(0)).producer)].op, OpKind::DequantizeLinear);
}

TEST(RevertUnits, RangeOverrideCoversTheWholeScaleGroup) {
  const GraphBuilder b = small_cnn(11);
  const QuantSetup base = filled_setup(b.g);
  const std::vector<RevertUnit> units = revert_units(b.g, base);
  const int pool_out = base.quantizer_of(node_named(b.g, "pool").outputs[0]);
  const int conv1_out = base.quantizer_of(node_named(b.g, "conv1").outputs[0]);
  ASSERT_GE(pool_out, 0);
  ASSERT_GE(conv1_out, 0);
  EXPECT_EQ(component_of(base, pool_out), component_of(base, conv1_out));
  SearchPoint p;
  p.ranges[pool_out] = {"mse", Range{0, 0.5f}};
  const QuantSetup s = apply_point(b.g, base, units, p, QuantPreset::kPerformance);
  for (int q : {pool_out, conv1_out}) {
    EXPECT_FLOAT_EQ(s.activations[static_cast<size_t>(q)].range.hi, 0.5f);
    EXPECT_FLOAT_EQ(s.activations[static_cast<size_t>(q)].params.scale[0], 0.5f / 255.0f) << "uint8 on [0, 0.5]";
  }
  const int input = base.quantizer_of(b.g.inputs[0]);
  EXPECT_FLOAT_EQ(s.activations[static_cast<size_t>(input)].range.hi, 2.0f) << "other quantizers untouched";
}

// ---------------------------------------------------------------- the search, end to end

// x[16] -> fc1 -> Relu -> fc2 -> Relu -> fc3 -> 10 scores. Feature 0 of x is +-100 in every
// sample but fc1 all but ignores it, so one per-tensor scale for x rounds the informative
// features away; channel 0 of fc1's output carries a constant 400 that fc2 ignores, doing the
// same to fc2's input. fc3 quantizes harmlessly. So DefaultQuantization loses much agreement
// with FP32, and reverting fc1 and fc2 (not fc3) restores it.
struct OutlierMlp {
  Model model;
  std::vector<std::vector<Tensor>> calib, eval;
};

Tensor matrix(int64_t rows, int64_t cols, uint32_t seed, float scale) {
  Tensor t = random_tensor({rows, cols}, seed, -scale, scale);
  return t;
}

// outlier: the magnitude of feature 0; constant: fc1's constant channel. At 1000 and 4000 with
// `zero_rows` the quantization steps (about 8 and 31) round every informative value to zero and
// nothing else reaches fc3, so each of fc1 and fc2 alone destroys the signal: the scores are 0
// unless both are FP32, and neither revert alone changes a prediction or a probability.
OutlierMlp outlier_mlp(float outlier = 100.0f, float constant = 400.0f, bool zero_rows = false) {
  GraphBuilder b;
  const auto x = b.input("x", {1, 16});
  Tensor w1 = matrix(16, 32, 21, 0.5f);
  // Row 0: feature 0 barely matters (when `zero_rows`, not at all).
  for (int64_t j = 0; j < 32; ++j) w1.data<float>()[j] = zero_rows ? 0.0f : 1e-4f;
  Tensor b1(DType::kFloat32, {32});
  b1.data<float>()[0] = constant;
  Tensor w2 = matrix(32, 32, 22, 0.5f);
  for (int64_t j = 0; j < 32; ++j) w2.data<float>()[j] = zero_rows ? 0.0f : 1e-5f;  // same for the constant channel
  const auto h1 = b.node(OpKind::FullyConnected, "fc1", {x, b.constant("w1", w1), b.constant("b1", b1)}, {1, 32},
                         {{"activation", ir::Attribute::make_string("Relu")}});
  const auto h2 = b.node(OpKind::FullyConnected, "fc2", {h1, b.constant("w2", w2)}, {1, 32},
                         {{"activation", ir::Attribute::make_string("Relu")}});
  const auto y = b.node(OpKind::FullyConnected, "fc3", {h2, b.constant("w3", matrix(32, 10, 23, 0.5f))}, {1, 10});
  b.output(y);
  b.g.values[static_cast<size_t>(x)].shape = {-1, 16};
  b.g.values[static_cast<size_t>(x)].dim_params = {"batch", ""};
  b.g.values[static_cast<size_t>(y)].shape = {-1, 10};
  b.g.values[static_cast<size_t>(y)].dim_params = {"batch", ""};
  OutlierMlp m{Model(std::make_shared<ir::Graph>(b.g)), {}, {}};
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  auto sample = [&] {
    Tensor t(DType::kFloat32, {1, 16});
    for (int i = 0; i < 16; ++i) t.data<float>()[i] = u(rng);
    t.data<float>()[0] = u(rng) < 0 ? -outlier : outlier;
    return std::vector<Tensor>{t};
  };
  for (int i = 0; i < 64; ++i) m.calib.push_back(sample());
  for (int i = 0; i < 400; ++i) m.eval.push_back(sample());
  return m;
}

SampleSource source_of(const std::vector<std::vector<Tensor>>& samples) {
  return {samples.size(), [&samples](size_t i) { return samples.at(i); }};
}

// The search on the fixture: calibration and evaluation samples as built, one thread, no
// per-layer report.
AccuracyAwareResult run_search(const OutlierMlp& m, const AccuracyControlOptions& control) {
  EvalData eval;
  eval.samples = source_of(m.eval);
  QuantizeOptions options;
  options.threads = 1;
  options.report_subset_size = 0;
  return quantize_with_accuracy_control(m.model, source_of(m.calib), eval, options, control);
}

TEST(AccuracyAware, TheReportChecksTheSearchedModelNotDefaultQuantizations) {
  // The per-layer and output SQNR in the final report are measured on the model the search
  // returns; DefaultQuantization's output warning does not outlive the layers it reverted.
  const OutlierMlp m = outlier_mlp();
  AccuracyControlOptions control;
  control.max_drop = 0.01;
  control.ranking_subset_size = 100;
  EvalData eval;
  eval.samples = source_of(m.eval);
  QuantizeOptions options;
  options.threads = 1;
  const AccuracyAwareReport rep = quantize_with_accuracy_control(m.model, source_of(m.calib), eval, options, control).report;
  ASSERT_TRUE(rep.bound_met) << rep.stop_reason;
  ASSERT_FALSE(rep.fp32_units.empty());
  EXPECT_FALSE(std::isnan(rep.quantize.output_sqnr_db));
  for (const LayerQuantReport& l : rep.quantize.layers)
    if (l.quantized) EXPECT_FALSE(std::isnan(l.sqnr_db)) << l.node;
  if (rep.quantize.output_sqnr_db >= options.min_output_sqnr_db)
    for (const std::string& w : rep.quantize.warnings) EXPECT_EQ(w.find("far from FP32"), std::string::npos) << w;
}

TEST(AccuracyAware, RevertsTheSensitiveLayersAndMeetsTheBound) {
  const OutlierMlp m = outlier_mlp();
  AccuracyControlOptions control;
  control.max_drop = 0.01;
  control.ranking_subset_size = 100;
  const AccuracyAwareResult r = run_search(m, control);
  const AccuracyAwareReport& rep = r.report;
  EXPECT_EQ(rep.metric, "agreement");
  EXPECT_DOUBLE_EQ(rep.fp32_metric, 1.0);
  ASSERT_GT(rep.default_drop, 0.05) << "the fixture must make DefaultQuantization miss the bound";
  EXPECT_TRUE(rep.bound_met) << rep.stop_reason;
  // The summary line reads "bound met: <reason>"; the reason must not repeat the verdict.
  EXPECT_EQ(rep.stop_reason.find("bound met"), std::string::npos) << rep.stop_reason;
  EXPECT_NE(accuracy_aware_table(rep).find("bound met: the drop is within the bound after"), std::string::npos)
      << accuracy_aware_table(rep);
  EXPECT_LE(rep.final_drop, 0.01);
  std::vector<std::string> fp32 = rep.fp32_units;
  std::sort(fp32.begin(), fp32.end());
  EXPECT_EQ(fp32, (std::vector<std::string>{"fc1", "fc2"}));
  bool fc3_int8 = false;
  for (const LayerQuantReport& l : rep.quantize.layers) fc3_int8 = fc3_int8 || (l.node == "fc3" && l.quantized);
  EXPECT_TRUE(fc3_int8) << "the harmless layer stays INT8";
  // The kept steps' metrics never go down (use_prev_if_drop_increase).
  double last = rep.default_metric;
  for (const AccuracyAwareStep& s : rep.steps)
    if (s.accepted && s.action != "requantize") {
      EXPECT_GT(s.metric, last) << s.action << " " << s.unit;
      last = s.metric;
    }
  ASSERT_FALSE(rep.ranking.empty());
  EXPECT_TRUE(rep.ranking.front().unit == "fc1" || rep.ranking.front().unit == "fc2") << rep.ranking.front().unit;

  // The model returned is the one reported: its agreement on the evaluation samples.
  CompileOptions co;
  co.threads = 1;
  co.batch = 1;
  CompiledModel fp32_model = CompiledModel::compile(m.model, co);
  CompiledModel result = CompiledModel::compile(r.model, co);
  size_t agree = 0;
  for (const auto& s : m.eval) {
    const Tensor a = fp32_model.run(s).at(0), q = result.run(s).at(0);
    const float* pa = a.data<float>();
    const float* pq = q.data<float>();
    agree += std::max_element(pa, pa + 10) - pa == std::max_element(pq, pq + 10) - pq;
  }
  EXPECT_DOUBLE_EQ(static_cast<double>(agree) / m.eval.size(), rep.final_metric);
}

TEST(AccuracyAware, RevertsTogetherLayersThatOnlyHelpTogether) {
  const OutlierMlp m = outlier_mlp(1000.0f, 4000.0f, true);
  AccuracyControlOptions control;
  control.max_drop = 0.01;
  control.ranking_subset_size = 100;
  control.tune_hyperparams = false;  // a clipped range for fc1's or fc2's input would also do
  const AccuracyAwareResult r = run_search(m, control);
  const AccuracyAwareReport& rep = r.report;
  ASSERT_GT(rep.default_drop, 0.5) << "DefaultQuantization must lose nearly everything";
  // The first ranking: neither fc1 nor fc2 alone recovers a sample.
  for (const UnitRanking& u : rep.ranking)
    if (u.unit == "fc1" || u.unit == "fc2") EXPECT_EQ(u.recovered, 0.0) << u.unit;
  EXPECT_TRUE(rep.bound_met) << rep.stop_reason;
  EXPECT_LE(rep.final_drop, 0.01);
  // Both went back together, in one accepted step (fc3, which loses a few points in INT8 on
  // these inputs, may follow on its own).
  const auto& fp32 = rep.fp32_units;
  EXPECT_NE(std::find(fp32.begin(), fp32.end(), "fc1"), fp32.end());
  EXPECT_NE(std::find(fp32.begin(), fp32.end(), "fc2"), fp32.end());
  bool together = false;
  for (const AccuracyAwareStep& s : rep.steps) together = together || (s.accepted && s.detail.find("together") != std::string::npos);
  EXPECT_TRUE(together) << accuracy_aware_table(rep);
  EXPECT_GT(rep.final_metric, 0.95);
}

TEST(AccuracyAware, StopsAtMaxItersAndSaysTheBoundIsNotMet) {
  const OutlierMlp m = outlier_mlp();
  AccuracyControlOptions control;
  control.max_drop = 0.0;
  control.max_iters = 1;
  control.tune_hyperparams = false;
  const AccuracyAwareResult r = run_search(m, control);
  EXPECT_FALSE(r.report.bound_met);
  EXPECT_NE(r.report.stop_reason.find("max_iters"), std::string::npos) << r.report.stop_reason;
  EXPECT_EQ(r.report.fp32_units.size(), 1u);
  EXPECT_GT(r.report.final_metric, r.report.default_metric) << "the best model found, not the default one";
  const std::string svg = accuracy_aware_svg(r.report);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_NE(svg.find("BOUND NOT MET"), std::string::npos);
  EXPECT_NE(accuracy_aware_json(r.report).find("\"bound_met\": false"), std::string::npos);
}

TEST(AccuracyAware, LabelsAreRequiredForTop1AndCountsMustMatch) {
  const OutlierMlp m = outlier_mlp();
  EvalData eval;
  eval.samples = source_of(m.eval);
  AccuracyControlOptions control;
  control.metric = "top1";
  EXPECT_THROW(quantize_with_accuracy_control(m.model, source_of(m.calib), eval, {}, control), Error);
  eval.labels = {1, 2, 3};
  EXPECT_THROW(quantize_with_accuracy_control(m.model, source_of(m.calib), eval, {}, control), Error);
}

}  // namespace
}  // namespace octet::quant
