// Numerical trouble in quantization: NaN or Inf in weights or in calibration activations keeps
// the affected layers FP32 with a warning naming them (never a NaN scale), and degenerate
// calibration sets (one sample, all zeros, all equal) still give a valid model whose file runs
// in octet with finite outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "cli/cli_fixture.hpp"
#include "ir/graph.hpp"
#include "octet/engine.hpp"
#include "octet/quantize.hpp"

namespace octet::testing {
namespace {

const Shape kIn = {1, 2, 4, 4};

Tensor filled(float value) {
  Tensor t(DType::kFloat32, kIn);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = value;
  return t;
}

Tensor uniform(uint32_t seed, float lo, float hi) {
  Tensor t(DType::kFloat32, kIn);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

SampleSource source_of(const std::vector<Tensor>& samples) {
  return {samples.size(), [samples](size_t i) { return std::vector<Tensor>{samples.at(i)}; }};
}

class HostileNumbers : public CliTest {
 protected:
  // x -> conv1 -> [Sqrt] -> conv2 -> Relu -> head (1x1 conv) -> y. w2 may carry a NaN/Inf.
  std::string model(bool sqrt_between, float w2_poison = 0.0f, const std::string& name = "m.onnx") const {
    std::vector<float> w2 = {0.5f, -0.25f, 0.75f, 1.0f};
    if (w2_poison != 0.0f) w2[1] = w2_poison;
    OnnxBuilder b;
    b.input("x", {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{4}})
        .initializer("w1", {2, 2, 1, 1}, {1.0f, 0.25f, 0.5f, 1.0f})
        .initializer("b1", {2}, {0.0f, 0.0f})
        .initializer("w2", {2, 2, 1, 1}, w2)
        .initializer("b2", {2}, {0.1f, -0.1f})
        .initializer("w3", {2, 2, 1, 1}, {1.0f, -0.5f, 0.25f, 0.5f})
        .node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1");
    if (sqrt_between) b.node("Sqrt", {"c1"}, {"s1"}, "sqrt");
    b.node("Conv", {sqrt_between ? "s1" : "c1", "w2", "b2"}, {"c2"}, "conv2")
        .node("Relu", {"c2"}, {"r2"}, "relu2")
        .node("Conv", {"r2", "w3"}, {"y"}, "head")
        .output("y", {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{4}});
    const std::string file = path(name);
    b.save(file);
    return file;
  }

  static const LayerQuantReport& layer(const QuantizeReport& r, const std::string& name) {
    for (const LayerQuantReport& l : r.layers)
      if (l.node.find(name) != std::string::npos) return l;
    throw std::runtime_error("no layer " + name);
  }

  // Every Q/DQ scale in the model is finite and positive.
  static void expect_finite_scales(const Model& m) {
    int checked = 0;
    for (const ir::Node& n : m.graph().nodes) {
      if (n.dead || (n.op != ir::OpKind::QuantizeLinear && n.op != ir::OpKind::DequantizeLinear)) continue;
      const Tensor* scale = m.graph().constant(n.input(1));
      ASSERT_NE(scale, nullptr) << n.describe();
      for (int64_t i = 0; i < scale->numel(); ++i) {
        const float s = scale->data<float>()[i];
        EXPECT_TRUE(std::isfinite(s) && s > 0) << n.describe() << " scale " << s;
      }
      ++checked;
    }
    EXPECT_GT(checked, 0);
  }

  // Saves, reloads and runs the quantized model on `input`; returns its output.
  Tensor run_saved(const Model& q, const Tensor& input) const {
    const std::string file = path("q.onnx");
    q.save(file);
    CompiledModel c = CompiledModel::compile(Model::load(file));
    return c.run(std::vector<Tensor>{input}).at(0);
  }
  static void expect_finite(const Tensor& t) {
    for (int64_t i = 0; i < t.numel(); ++i) ASSERT_TRUE(std::isfinite(t.data<float>()[i])) << "element " << i;
  }
  static std::vector<Tensor> calibration(size_t n) {
    std::vector<Tensor> s;
    for (size_t i = 0; i < n; ++i) s.push_back(uniform(static_cast<uint32_t>(10 + i), 0.0f, 1.0f));
    return s;
  }
};

TEST_F(HostileNumbers, NanOrInfInWeightsKeepsThatLayerFp32) {
  for (float poison : {NAN, INFINITY}) {
    const Model fp32 = Model::load(model(false, poison));
    const QuantizeResult r = quantize(fp32, source_of(calibration(4)));
    const LayerQuantReport& conv2 = layer(r.report, "conv2");
    EXPECT_FALSE(conv2.quantized);
    EXPECT_NE(conv2.reason.find("weights 'w2' hold 1 NaN or infinite value"), std::string::npos) << conv2.reason;
    EXPECT_TRUE(layer(r.report, "conv1").quantized);
    bool warned = false;
    for (const std::string& w : r.report.warnings) warned = warned || (w.find("conv2") != std::string::npos && w.find("FP32") != std::string::npos);
    EXPECT_TRUE(warned);
    expect_finite_scales(r.model);
    // The poisoned weights reach the output in FP32 as well; the INT8 model's file still
    // loads, compiles and runs.
    EXPECT_NO_THROW(run_saved(r.model, uniform(99, 0.0f, 1.0f)));
  }
}

TEST_F(HostileNumbers, NanInCalibrationActivationsKeepsTheLayersReadingThemFp32) {
  // Sqrt between conv1 and conv2: sample 2 has negative inputs, so conv2 reads NaN there only.
  std::vector<Tensor> samples = calibration(4);
  samples[2] = uniform(77, -1.0f, -0.5f);
  const Model fp32 = Model::load(model(true));
  const QuantizeResult r = quantize(fp32, source_of(samples));
  EXPECT_TRUE(layer(r.report, "conv1").quantized);
  const LayerQuantReport& conv2 = layer(r.report, "conv2");
  EXPECT_FALSE(conv2.quantized);
  EXPECT_NE(conv2.reason.find("NaN or infinite values in 1 of 4 calibration samples (first: sample 2)"), std::string::npos)
      << conv2.reason;
  // head reads Relu(conv2): the Relu turns the NaN into zeros, so head stays INT8, but sample 2
  // is left out of its statistics (else its range would shrink and clip the valid samples).
  EXPECT_TRUE(layer(r.report, "head").quantized);
  // With sample 2's zeros in its statistics head's range shrank and its SQNR fell to 16 dB;
  // without them it is 41 dB here.
  EXPECT_GT(layer(r.report, "head").sqnr_db, 30.0);
  std::string warnings;
  for (const std::string& w : r.report.warnings) warnings += w + "\n";
  EXPECT_NE(warnings.find("node 'conv2': input 's1' held NaN"), std::string::npos) << warnings;
  EXPECT_NE(warnings.find("1 of 4 calibration samples produced NaN or infinite values and were left out"), std::string::npos)
      << warnings;
  expect_finite_scales(r.model);
  // On a valid (positive) input the quantized file gives finite outputs close to FP32 (the
  // output range is about 1.5; 0.1 is INT8 error with ranges from three samples).
  const Tensor x = uniform(5, 0.1f, 1.0f);
  const Tensor got = run_saved(r.model, x);
  const Tensor want = CompiledModel::compile(fp32).run(std::vector<Tensor>{x}).at(0);
  expect_finite(got);
  for (int64_t i = 0; i < got.numel(); ++i) EXPECT_NEAR(got.data<float>()[i], want.data<float>()[i], 0.1) << i;
}

TEST_F(HostileNumbers, NanInTheFirstCalibrationSampleIsDroppedLikeALaterOne) {
  // Sample 0 poisons conv2's input, so head's input skips sample 0 before it has seen any
  // sample: its shape must still come from that sample, not fail on sample 1.
  std::vector<Tensor> samples = calibration(4);
  samples[0] = uniform(77, -1.0f, -0.5f);
  const QuantizeResult r = quantize(Model::load(model(true)), source_of(samples));
  EXPECT_FALSE(layer(r.report, "conv2").quantized);
  EXPECT_TRUE(layer(r.report, "head").quantized);
  std::string warnings;
  for (const std::string& w : r.report.warnings) warnings += w + "\n";
  EXPECT_NE(warnings.find("1 of 4 calibration samples produced NaN or infinite values and were left out"), std::string::npos)
      << warnings;
  expect_finite_scales(r.model);
}

TEST_F(HostileNumbers, DegenerateCalibrationSetsStillGiveAValidModel) {
  const Model fp32 = Model::load(model(false));
  const Tensor x = uniform(6, -1.0f, 1.0f);
  for (const auto& [what, samples] : std::vector<std::pair<std::string, std::vector<Tensor>>>{
           {"one sample", {uniform(1, -1.0f, 1.0f)}},
           {"all zeros", {filled(0.0f), filled(0.0f), filled(0.0f)}},
           {"one zero sample", {filled(0.0f)}},
           {"all equal", {filled(0.5f), filled(0.5f)}},
       }) {
    SCOPED_TRACE(what);
    QuantizeOptions options;
    for (const char* range : {"default", "min_max", "mse", "kl", "quantile"}) {
      options.activations.method = range;
      SCOPED_TRACE(range);
      const QuantizeResult r = quantize(fp32, source_of(samples), options);
      EXPECT_EQ(r.report.calibration_samples, samples.size());
      expect_finite_scales(r.model);
      expect_finite(run_saved(r.model, x));
    }
  }
}

// Through the CLI: the warning is on stderr (not only in the table on stdout) and in the JSON
// report, and the command succeeds.
TEST_F(HostileNumbers, CliWarnsOnStderrAndInTheReport) {
  const std::string m = model(false, NAN, "nan.onnx");
  const std::string data = path("calib.npy");
  Tensor all(DType::kFloat32, {4, 2, 4, 4});
  const std::vector<Tensor> samples = calibration(4);
  for (size_t i = 0; i < 4; ++i) std::memcpy(all.bytes.data() + i * 128, samples[i].bytes.data(), 128);
  data::write_npy(data, all);
  const std::string cmd = shell_quote(OCTET_CLI) + " quantize " + shell_quote(m) + " --data " + shell_quote(data) +
                          " -o " + shell_quote(path("q.onnx")) + " --report " + shell_quote(path("r.json")) +
                          " 2>" + shell_quote(path("err.txt")) + " >" + shell_quote(path("out.txt"));
  const ProcessResult r = run_process({"sh", "-c", cmd});
  ASSERT_EQ(r.exit_code, 0) << read_bytes(path("err.txt"));
  const std::string err = read_bytes(path("err.txt"));
  EXPECT_NE(err.find("octet quantize: warning: "), std::string::npos) << err;
  EXPECT_NE(err.find("node 'conv2'"), std::string::npos) << err;
  EXPECT_NE(err.find("stays FP32"), std::string::npos) << err;
  const std::string report = read_bytes(path("r.json"));
  EXPECT_NE(report.find("weights 'w2' hold 1 NaN or infinite value"), std::string::npos);
}

}  // namespace
}  // namespace octet::testing
