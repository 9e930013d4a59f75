// octet's QDQ output in ONNX Runtime: each quantized Fashion-MNIST model loads in ORT (node
// peer/ort_run.js) and ORT's outputs agree with octet's reference path (exact QDQ arithmetic)
// and with octet's INT8 kernels on 64 test images. ORT fuses the Q/DQ pairs into its own INT8
// kernels, whose requantization rounds slightly differently, so agreement is measured as top-1
// agreement and output cosine, not bit equality. A second test checks that ORT runs the
// quantized layers in INT8 at all: it only fuses a DQ -> op -> Q group into its QLinear kernel
// when the group's integer types agree, and otherwise runs the op in float between the Q/DQ.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <stdlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "fixtures/temp_dir.hpp"
#include "data/npy.hpp"
#include "fashion_fixture.hpp"
#include "fixtures/run_process.hpp"

namespace octet::testing {
namespace {

namespace fs = std::filesystem;

struct Agreement {
  double top1 = 0;        // fraction of rows with the same argmax
  double min_cosine = 1;  // worst row
};

Agreement compare(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape, b.shape);
  const int64_t rows = a.shape[0], cols = a.numel() / rows;
  Agreement r;
  int64_t same = 0;
  for (int64_t i = 0; i < rows; ++i) {
    const float* x = a.data<float>() + i * cols;
    const float* y = b.data<float>() + i * cols;
    double xy = 0, xx = 0, yy = 0;
    for (int64_t j = 0; j < cols; ++j) { xy += x[j] * y[j]; xx += x[j] * x[j]; yy += y[j] * y[j]; }
    r.min_cosine = std::min(r.min_cosine, xy / std::sqrt(xx * yy));
    same += std::max_element(x, x + cols) - x == std::max_element(y, y + cols) - y;
  }
  r.top1 = static_cast<double>(same) / static_cast<double>(rows);
  return r;
}

class OrtQuantInterop : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    if (!fs::exists(path_)) GTEST_SKIP() << path_ << " is not there (the data helper trains it)";
    ASSERT_TRUE(fs::exists(peer_ + "/node_modules/onnxruntime-node/package.json"))
        << "ONNX Runtime is not installed; run scripts/install-deps.sh";
  }

  ScopedTempDir scratch_{"octet-quant-interop"};
  const std::string& dir_ = scratch_.str();
  const std::string path_ = fmnist_model_path(GetParam());
  const std::string peer_ = std::string(OCTET_SOURCE_DIR) + "/peer";
};

TEST_P(OrtQuantInterop, OnnxRuntimeRunsTheQdqModelAndAgrees) {
  const Model model = Model::load(path_);
  const Calibration calib = fmnist_calibration(model, 100);
  QuantizeOptions options;
  options.subset_size = 100;
  options.report_subset_size = 0;
  options.threads = 2;
  const QuantizeResult q = quantize(model, calib.source(), options);
  const std::string qdq_path = dir_ + "/int8.onnx";
  q.model.save(qdq_path);

  const auto test = open_dataset("fashion-mnist:test", "", Preprocess::from_model(model));
  std::vector<size_t> rows(64);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i * 150;
  const Sample batch = load_batch(*test, rows);
  const std::string input_file = dir_ + "/input.npy";
  data::write_npy(input_file, batch.inputs[0]);
  const std::string input_name = model.inputs()[0].name, output_name = model.outputs()[0].name;
  const ProcessResult ort = run_process({"node", peer_ + "/ort_run.js", "run", qdq_path, "--input",
                                         input_name + "=" + input_file, "--output-dir", dir_ + "/ort", "--threads", "2"});
  ASSERT_EQ(ort.exit_code, 0) << ort.output;
  const Tensor from_ort = data::read_npy(dir_ + "/ort/" + output_name + ".npy");

  CompiledModel reference = compile_reference(q.model, 64);
  CompiledModel engine = compile_engine(q.model, 64);
  const Tensor from_reference = reference.run(batch.inputs)[0];
  const Tensor from_engine = engine.run(batch.inputs)[0];
  const Agreement ort_vs_ref = compare(from_ort, from_reference);
  const Agreement engine_vs_ref = compare(from_engine, from_reference);
  RecordProperty("ort_top1_agreement", std::to_string(ort_vs_ref.top1));
  RecordProperty("ort_min_cosine", std::to_string(ort_vs_ref.min_cosine));
  EXPECT_GE(ort_vs_ref.top1, 62.0 / 64) << GetParam();
  EXPECT_GE(ort_vs_ref.min_cosine, 0.995) << GetParam();
  EXPECT_GE(engine_vs_ref.top1, 62.0 / 64) << GetParam();
  EXPECT_GE(engine_vs_ref.min_cosine, 0.995) << GetParam();
}

std::map<std::string, int> op_counts(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  onnx::ModelProto proto;
  EXPECT_TRUE(in && proto.ParseFromIstream(&in)) << path;
  std::map<std::string, int> counts;
  for (const auto& node : proto.graph().node()) ++counts[node.op_type()];
  return counts;
}

// The mixed preset (uint8 activations, ORT's own scheme) must leave no Conv, Add or
// activation in float in ORT's optimized graph. The default preset mixes int8 and uint8, which
// ORT fuses only where a group's types agree; on the ResNet they do, since the summands of a
// residual Add keep their own scales (a shared one made ReLU'd shortcuts int8, and ORT ran
// five Convs and every Add in float).
class OrtQuantFusion : public OrtQuantInterop {};

TEST_P(OrtQuantFusion, OnnxRuntimeRunsEveryConvAndAddInInt8) {
  const std::map<std::string, int> fp32 = op_counts(path_);
  const int convs = fp32.count("Conv") ? fp32.at("Conv") : 0, adds = fp32.count("Add") ? fp32.at("Add") : 0;
  ASSERT_GT(convs, 0) << path_;
  const Model model = Model::load(path_);
  const Calibration calib = fmnist_calibration(model, 50);
  std::vector<QuantPreset> presets = {QuantPreset::kMixed};
  if (std::string(GetParam()) == "fmnist_resnet") presets.push_back(QuantPreset::kPerformance);
  for (QuantPreset preset : presets) {
    SCOPED_TRACE(preset_name(preset));
    QuantizeOptions options;
    options.preset = preset;
    options.subset_size = 50;
    options.report_subset_size = 0;
    const std::string qdq_path = dir_ + "/" + preset_name(preset) + ".onnx";
    quantize(model, calib.source(), options).model.save(qdq_path);
    const std::string optimized = dir_ + "/" + preset_name(preset) + "_ort.onnx";
    const ProcessResult ort = run_process({"node", peer_ + "/ort_run.js", "optimize", qdq_path, "--output", optimized});
    ASSERT_EQ(ort.exit_code, 0) << ort.output;
    std::map<std::string, int> ran = op_counts(optimized);
    for (const char* op : {"Conv", "Add", "Relu", "Clip"}) EXPECT_EQ(ran[op], 0) << op << " left in float by ORT";
    EXPECT_EQ(ran["QLinearConv"], convs);
    EXPECT_EQ(ran["QLinearAdd"], adds);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, OrtQuantInterop, ::testing::Values("fmnist_resnet", "fmnist_mobilenet", "fmnist_vit"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });
INSTANTIATE_TEST_SUITE_P(Models, OrtQuantFusion, ::testing::Values("fmnist_resnet", "fmnist_mobilenet"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace octet::testing
