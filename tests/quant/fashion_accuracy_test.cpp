// The accuracy target: on each committed Fashion-MNIST model, default settings with 300
// calibration images (training set) lose at most 0.5 points of top-1 on the 10,000 test images,
// measured on the exact QDQ arithmetic (octet's reference path). Also checks the file shrinks to
// about a quarter, and that octet's engine folds every Q/DQ pair octet's quantizer wrote.
#include <gtest/gtest.h>

#include <filesystem>

#include "fashion_fixture.hpp"
#include "ir/graph.hpp"
#include "octet/eval.hpp"
#include "passes/fold_qdq.hpp"

namespace octet::testing {
namespace {

class FashionAccuracy : public ::testing::TestWithParam<const char*> {};

size_t constant_bytes(const Model& model) {
  size_t bytes = 0;
  for (const ir::Value& v : model.graph().values)
    if (v.is_constant()) bytes += v.data->bytes.size();
  return bytes;
}

TEST_P(FashionAccuracy, DefaultSettingsLoseAtMostHalfAPoint) {
  const std::string path = fmnist_model_path(GetParam());
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " is not there (the data helper trains it)";
  const Model model = Model::load(path);
  const Calibration calib = fmnist_calibration(model, 300);
  QuantizeOptions options;
  options.threads = 2;
  options.report_subset_size = 8;
  const QuantizeResult q = quantize(model, calib.source(), options);

  // The QDQ file as a user loads it: every conversion left is at the border of the INT8 region.
  CompiledModel loaded = CompiledModel::compile(Model::load_from_bytes(q.model.to_bytes(), "QDQ model"));
  for (const passes::UnfoldedConversion& left : passes::unfolded_conversions(loaded.graph()))
    EXPECT_FALSE(left.pattern_missed) << GetParam() << ": " << left.node << " " << left.reason;

  const auto test = open_dataset("fashion-mnist:test", "", Preprocess::from_model(model));
  ASSERT_EQ(test->size(), 10000u);
  CompiledModel fp32 = compile_engine(model, 100);
  CompiledModel int8 = compile_reference(q.model, 100);
  auto metric = make_metric("top1");
  const double fp32_top1 = evaluate(fp32, *test, *metric).value;
  metric->reset();
  const double int8_top1 = evaluate(int8, *test, *metric).value;
  RecordProperty("fp32_top1", std::to_string(fp32_top1));
  RecordProperty("int8_top1", std::to_string(int8_top1));
  EXPECT_GE(int8_top1, fp32_top1 - 0.005) << GetParam() << ": FP32 " << fp32_top1 << ", INT8 " << int8_top1;

  const std::string out = ::testing::TempDir() + std::string(GetParam()) + "_int8_test.onnx";
  q.model.save(out);
  const double ratio = static_cast<double>(std::filesystem::file_size(out)) / static_cast<double>(std::filesystem::file_size(path));
  const double weight_ratio = static_cast<double>(constant_bytes(Model::load(out))) / static_cast<double>(constant_bytes(model));
  std::filesystem::remove(out);
  RecordProperty("size_ratio", std::to_string(ratio));
  RecordProperty("weight_bytes_ratio", std::to_string(weight_ratio));
  // INT8 weights are a quarter; per-channel scales and int32 biases (with their own scales,
  // as the QDQ format wants) add the rest. On these sub-MB models the graph itself (node and
  // value names, twice as many nodes) is a visible share of the file, hence the looser
  // whole-file bound; docs/quantization.md has the breakdown.
  EXPECT_LT(weight_ratio, 0.36) << "INT8 weights should make the weights about 4x smaller";
  EXPECT_LT(ratio, 0.5) << "INT8 weights should make the file at least 2x smaller even on tiny models";
}

INSTANTIATE_TEST_SUITE_P(Models, FashionAccuracy, ::testing::Values("fmnist_resnet", "fmnist_mobilenet", "fmnist_vit"),
                         [](const ::testing::TestParamInfo<const char*>& info) { return std::string(info.param); });

}  // namespace
}  // namespace octet::testing
