// octet FP32 against ONNX Runtime on the bench models (torchvision CNNs, random weights): the
// same seeded input through both engines, outputs equal within 1e-4 of ORT's output range.
// Models are exported on demand by scripts/export_bench_models.py into the model cache
// ($OCTET_MODEL_CACHE or <source>/.cache/models); ORT runs through peer/ort_run.js.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "fixtures/temp_dir.hpp"
#include "data/npy.hpp"
#include "fixtures/run_process.hpp"
#include "octet/engine.hpp"

namespace octet::testing {
namespace {

namespace fs = std::filesystem;

std::string model_cache() {
  const char* env = std::getenv("OCTET_MODEL_CACHE");
  return env && *env ? env : std::string(OCTET_SOURCE_DIR) + "/.cache/models";
}

bool torch_available() {
  return run_process({"/usr/bin/python3", "-c", "import torch, torchvision, onnx"}).exit_code == 0;
}

class OrtInterop : public ::testing::TestWithParam<const char*> {
 protected:
  ScopedTempDir scratch_{"octet-interop"};
  const std::string& dir_ = scratch_.str();
};

TEST_P(OrtInterop, Fp32MatchesOnnxRuntime) {
  const std::string name = GetParam();
  const std::string model_path = model_cache() + "/" + name + ".onnx";
  if (!fs::exists(model_path)) {
    if (!torch_available()) GTEST_SKIP() << model_path << " is missing and python3-torch is not installed to export it";
    const ProcessResult r = run_process({"/usr/bin/python3", std::string(OCTET_SOURCE_DIR) + "/scripts/export_bench_models.py",
                                         model_cache(), "--only", name});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    ASSERT_TRUE(fs::exists(model_path)) << r.output;
  }
  const std::string peer = std::string(OCTET_SOURCE_DIR) + "/peer";
  ASSERT_TRUE(fs::exists(peer + "/node_modules/onnxruntime-node/package.json"))
      << "ONNX Runtime is not installed; run scripts/install-deps.sh";

  // An image-like input: normal(0, 1) per element, seeded.
  Tensor input(DType::kFloat32, {1, 3, 224, 224});
  std::mt19937 gen(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (int64_t i = 0; i < input.numel(); ++i) input.data<float>()[i] = normal(gen);
  const std::string input_file = dir_ + "/input.npy";
  data::write_npy(input_file, input);

  const ProcessResult ort = run_process({"node", peer + "/ort_run.js", "run", model_path, "--input", "input=" + input_file,
                                         "--output-dir", dir_ + "/ort", "--threads", "2"});
  ASSERT_EQ(ort.exit_code, 0) << ort.output;
  const Tensor want = data::read_npy(dir_ + "/ort/logits.npy");

  CompileOptions options;
  options.threads = 2;
  options.input_shapes["input"] = input.shape;
  CompiledModel compiled = CompiledModel::compile(Model::load(model_path), options);
  ASSERT_EQ(compiled.outputs().size(), 1u);
  ASSERT_EQ(compiled.outputs()[0].name, "logits");
  const std::vector<Tensor> got = compiled.run({input});

  ASSERT_EQ(got[0].shape, want.shape);
  ASSERT_EQ(got[0].dtype, DType::kFloat32);
  const float* w = want.data<float>();
  const float* g = got[0].data<float>();
  const auto [lo, hi] = std::minmax_element(w, w + want.numel());
  const double range = static_cast<double>(*hi) - static_cast<double>(*lo);
  ASSERT_GT(range, 0.0) << "ORT's output is constant; the model or input is degenerate";
  double max_diff = 0;
  int64_t worst = 0;
  for (int64_t i = 0; i < want.numel(); ++i) {
    const double d = std::fabs(static_cast<double>(w[i]) - static_cast<double>(g[i]));
    if (!(d <= max_diff)) { max_diff = d; worst = i; }  // also catches NaN
  }
  EXPECT_LE(max_diff, 1e-4 * range) << name << ": logits[" << worst << "] octet " << g[worst] << " vs ORT " << w[worst]
                                    << " (ORT output range " << range << ")";
  RecordProperty("max_abs_diff", std::to_string(max_diff));
  RecordProperty("ort_output_range", std::to_string(range));
}

INSTANTIATE_TEST_SUITE_P(BenchModels, OrtInterop,
                         ::testing::Values("resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0",
                                           "resnet18_opset9", "mobilenet_v2_opset11"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace octet::testing
