// Full bias correction's defining property: over the samples it runs, the quantized layer's
// mean output per channel equals FP32's. Both sides must average the same samples; the FP32
// side once used every calibration sample while the quantized side ran only the first
// full_bias_correction_subset, which shifted each bias by the two sample sets' difference.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "octet/quantize.hpp"
#include "quant/quant_test_util.hpp"

namespace octet {
namespace {

using namespace octet::testing;
using ir::OpKind;

constexpr int64_t kIn = 8, kOut = 6;

// x[1,8] -> FullyConnected (random weights and bias) -> y[1,6]: one correctable layer whose
// output is the graph's, so the model's output mean is the layer's.
Model one_layer_model() {
  GraphBuilder b;
  const auto x = b.input("x", {1, kIn});
  const auto y = b.node(OpKind::FullyConnected, "fc",
                        {x, b.constant("w", random_tensor({kIn, kOut}, 11, -0.5f, 0.5f)),
                         b.constant("b", random_tensor({kOut}, 12, -0.2f, 0.2f))},
                        {1, kOut});
  b.output(y);
  return Model(std::make_shared<ir::Graph>(b.g));
}

// Inputs whose mean drifts with the sample index, so the first samples' mean is far from the
// mean of them all (calibration data sorted by anything correlated with the input does this).
std::vector<std::vector<Tensor>> drifting_samples(size_t n) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<std::vector<Tensor>> out;
  for (size_t i = 0; i < n; ++i) {
    Tensor t(DType::kFloat32, {1, kIn});
    const float drift = 2.0f * static_cast<float>(i) / static_cast<float>(n);
    for (int64_t k = 0; k < kIn; ++k) t.data<float>()[k] = u(rng) + drift;
    out.push_back({t});
  }
  return out;
}

std::vector<double> mean_output(CompiledModel& model, const std::vector<std::vector<Tensor>>& samples, size_t count) {
  std::vector<double> mean(kOut, 0.0);
  for (size_t i = 0; i < count; ++i) {
    const Tensor y = model.run(samples[i]).at(0);
    for (int64_t c = 0; c < kOut; ++c) mean[static_cast<size_t>(c)] += y.data<float>()[c];
  }
  for (double& m : mean) m /= static_cast<double>(count);
  return mean;
}

TEST(FullBiasCorrection, MatchesFp32MeanOverTheSamplesItRuns) {
  const Model model = one_layer_model();
  const std::vector<std::vector<Tensor>> samples = drifting_samples(200);
  QuantizeOptions options;
  options.bias_correction = BiasCorrection::kFull;
  options.full_bias_correction_subset = 50;
  options.bias_correction_threshold = 0;  // always apply: this test is about the shift's value
  options.report_subset_size = 0;
  options.threads = 1;
  const QuantizeResult r = quantize(model, {samples.size(), [&](size_t i) { return samples.at(i); }}, options);
  ASSERT_EQ(r.report.layers.size(), 1u);
  EXPECT_TRUE(r.report.layers[0].bias_corrected);

  CompileOptions co;
  co.threads = 1;
  CompiledModel fp32 = CompiledModel::compile(model, co);
  CompiledModel int8 = CompiledModel::compile(r.model, co);
  const std::vector<double> fp_first = mean_output(fp32, samples, 50);
  const std::vector<double> fp_all = mean_output(fp32, samples, samples.size());
  const std::vector<double> q_first = mean_output(int8, samples, 50);
  double subset_gap = 0;
  for (int64_t c = 0; c < kOut; ++c) {
    const size_t i = static_cast<size_t>(c);
    subset_gap = std::max(subset_gap, std::fabs(fp_first[i] - fp_all[i]));
    // Left: output quantization (none here) and the int32 bias's rounding, far below the gap.
    EXPECT_NEAR(q_first[i], fp_first[i], 2e-3) << "channel " << c;
  }
  ASSERT_GT(subset_gap, 0.05) << "the fixture's first 50 samples must differ from all 200";
}

}  // namespace
}  // namespace octet
