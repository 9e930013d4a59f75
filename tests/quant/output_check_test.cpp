// What DefaultQuantization says about its own result: the end-to-end check against FP32 (a
// collapsed model is warned about, naming the layer where the error starts), warnings about
// degenerate calibration sets and an INT8 model slower than FP32, and the refusal to quantize
// a model twice.
#include <gtest/gtest.h>

#include <cmath>

#include "cli/cli_fixture.hpp"
#include "octet/accuracy_aware.hpp"
#include "octet/engine.hpp"
#include "octet/quantize.hpp"
#include "quant/quant_test_util.hpp"

namespace octet::testing {
namespace {

std::vector<Tensor> calibration(size_t n) {
  std::vector<Tensor> s;
  for (size_t i = 0; i < n; ++i) s.push_back(random_tensor({1, 2, 4, 4}, static_cast<uint32_t>(10 + i), 0.0f, 1.0f));
  return s;
}

std::string all_warnings(const QuantizeReport& r) {
  std::string s;
  for (const std::string& w : r.warnings) s += w + "\n";
  return s;
}

class OutputCheck : public CliTest {
 protected:
  // x [1,2,4,4] -> conv1 (channel 1 times `gain`) -> conv2 (reads channel 0 only) -> y. With a
  // large gain, conv2's input range is set by channel 1, and the channel 0 that conv2 reads
  // rounds to zero: every layer INT8, the output gone.
  std::string model(float gain, const std::string& conv2_name = "conv2") const {
    const std::string file = path("m.onnx");
    OnnxBuilder()
        .input("x", {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{4}})
        .initializer("w1", {2, 2, 1, 1}, {1.0f, 0.0f, 0.0f, gain})
        .initializer("w2", {2, 2, 1, 1}, {1.0f, 0.0f, -0.5f, 0.0f})
        .node("Conv", {"x", "w1"}, {"c1"}, "conv1")
        .node("Conv", {"c1", "w2"}, {"y"}, conv2_name)
        .output("y", {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{4}})
        .save(file);
    return file;
  }
};

TEST_F(OutputCheck, CollapsedQuantizationIsWarnedAboutNamingWhereTheErrorStarts) {
  const QuantizeResult r = quantize(Model::load(model(1000.0f)), source_of(calibration(8)));
  for (const LayerQuantReport& l : r.report.layers) EXPECT_TRUE(l.quantized) << l.node;
  EXPECT_EQ(r.report.output_tensor, "y");
  EXPECT_EQ(r.report.output_samples, 8u);
  EXPECT_LT(r.report.output_sqnr_db, 3.0);
  const std::string w = all_warnings(r.report);
  EXPECT_NE(w.find("the INT8 model's output 'y' is far from FP32: SQNR"), std::string::npos) << w;
  EXPECT_NE(w.find("the error starts at 'conv2'"), std::string::npos) << w;
  EXPECT_EQ(w.find("'conv1'"), std::string::npos) << "conv1 is fine: " << w;
  // The summary shows the check; the JSON carries it.
  const std::string table = report_table(r.report);
  EXPECT_NE(table.find("output 'y' vs FP32 on 8 samples: SQNR"), std::string::npos) << table;
  EXPECT_NE(report_to_json(r.report).find("\"output\""), std::string::npos);
}

TEST_F(OutputCheck, AHealthyModelPassesTheCheckWithoutAWarning) {
  const QuantizeResult r = quantize(Model::load(model(1.0f)), source_of(calibration(8)));
  EXPECT_GT(r.report.output_sqnr_db, 25.0);
  EXPECT_EQ(all_warnings(r.report).find("far from FP32"), std::string::npos) << all_warnings(r.report);
  // The last axis has 4 entries: the agreement of their argmax is measured (and near 1 here).
  EXPECT_GT(r.report.output_agreement, 0.8);
}

TEST_F(OutputCheck, OneSampleAndAllZeroCalibrationSetsAreWarnedAbout) {
  const Model m = Model::load(model(1.0f));
  std::string w = all_warnings(quantize(m, source_of(calibration(1))).report);
  EXPECT_NE(w.find("calibration used 1 sample"), std::string::npos) << w;
  EXPECT_EQ(w.find("all zeros"), std::string::npos) << w;
  std::vector<Tensor> zeros(3, Tensor(DType::kFloat32, {1, 2, 4, 4}));
  w = all_warnings(quantize(m, source_of(zeros)).report);
  EXPECT_NE(w.find("every calibration sample is all zeros"), std::string::npos) << w;
  EXPECT_EQ(w.find("calibration used 1 sample"), std::string::npos) << w;
  // Asked for one sample from a larger set: still one sample's ranges.
  QuantizeOptions one;
  one.subset_size = 1;
  w = all_warnings(quantize(m, source_of(calibration(5)), one).report);
  EXPECT_NE(w.find("calibration used 1 sample;"), std::string::npos) << w;
}

TEST(QuantizeReportWarnings, Int8SlowerThanFp32IsSaidWhenMeasuredSo) {
  QuantizeReport r;
  warn_if_int8_slower(r);  // not measured: nothing to say
  EXPECT_TRUE(r.warnings.empty());
  r.fp32_latency_ms = 1.0;
  r.int8_latency_ms = 1.02;  // within the noise margin
  warn_if_int8_slower(r);
  EXPECT_TRUE(r.warnings.empty());
  r.int8_latency_ms = 1.5;
  warn_if_int8_slower(r);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_NE(r.warnings[0].find("the INT8 model ran slower than FP32 here: 1.5 ms against 1 ms"), std::string::npos)
      << r.warnings[0];
  EXPECT_NE(report_table(r).find("latency (batch 1, median): FP32 1 ms, INT8 1.5 ms"), std::string::npos) << report_table(r);
}

TEST(QuantizeReportTable, ShowsTheSampleCountAndNamesWhole) {
  QuantizeReport r;
  r.calibration_samples = 50;
  LayerQuantReport a, b;
  a.node = "/features/features.12/block/block.2/fc1/Conv";
  b.node = "/features/features.12/block/block.2/fc2/Conv";
  a.op = b.op = "FusedConv";
  a.quantized = true;
  b.reason = "ignored ('*fc2*')";
  r.layers = {a, b};
  r.warnings = {"something"};
  const std::string table = report_table(r);
  EXPECT_NE(table.find("calibration: 50 samples (default 300"), std::string::npos) << table;
  EXPECT_NE(table.find(a.node + " FusedConv"), std::string::npos) << table;
  EXPECT_NE(table.find(b.node + " FusedConv"), std::string::npos) << table;
  EXPECT_NE(table.find("warning: something"), std::string::npos);
  // The CLI prints warnings on stderr: its table only counts them.
  const std::string counted = report_table(r, false);
  EXPECT_EQ(counted.find("warning: something"), std::string::npos);
  EXPECT_NE(counted.find("1 warning"), std::string::npos) << counted;
}

TEST_F(OutputCheck, AnAlreadyQuantizedModelIsRefusedUpFront) {
  const Model fp32 = Model::load(model(1.0f));
  const QuantizeResult once = quantize(fp32, source_of(calibration(4)));
  once.model.save(path("q.onnx"));
  try {
    quantize(Model::load(path("q.onnx")), source_of(calibration(4)));
    FAIL() << "a QDQ model was quantized again";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path("q.onnx") + " is already quantized"), std::string::npos) << m;
    EXPECT_NE(m.find("quantize its FP32 original instead"), std::string::npos) << m;
  }
}

TEST_F(OutputCheck, AScopeWithoutTheLeadingSlashMatchesPyTorchNames) {
  // PyTorch exports name nodes "/conv2/Conv"; POT-style scopes are written "conv2*".
  QuantizeOptions options;
  options.ignored = {"conv2*"};
  const QuantizeResult r = quantize(Model::load(model(1.0f, "/conv2/Conv")), source_of(calibration(4)), options);
  for (const LayerQuantReport& l : r.report.layers) EXPECT_EQ(l.quantized, l.node.find("conv2") == std::string::npos) << l.node;
  EXPECT_EQ(all_warnings(r.report).find("matches no node"), std::string::npos) << all_warnings(r.report);
}

TEST_F(OutputCheck, TokenIdModelsCalibrateFromInt64Ids) {
  // input_ids int64 [1,4] -> Gather(embedding [8,4]) -> MatMul -> y [1,4,3]
  std::vector<float> embedding(32), w(12);
  for (size_t i = 0; i < embedding.size(); ++i) embedding[i] = std::sin(static_cast<float>(i));
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::cos(static_cast<float>(i));
  OnnxBuilder()
      .input("input_ids", {int64_t{1}, int64_t{4}}, onnx::TensorProto::INT64)
      .initializer("embedding", {8, 4}, embedding)
      .initializer("w", {4, 3}, w)
      .node("Gather", {"embedding", "input_ids"}, {"e"}, "embed")
      .node("MatMul", {"e", "w"}, {"y"}, "proj")
      .output("y", {int64_t{1}, int64_t{4}, int64_t{3}})
      .save(path("ids.onnx"));
  std::vector<Tensor> ids;
  for (int64_t i = 0; i < 6; ++i) ids.push_back(Tensor::from_vector(DType::kInt64, {1, 4}, std::vector<int64_t>{i, (i + 3) % 8, 7, 0}));
  const QuantizeResult r = quantize(Model::load(path("ids.onnx")), source_of(ids));
  ASSERT_EQ(r.report.layers.size(), 1u);
  EXPECT_TRUE(r.report.layers[0].quantized) << r.report.layers[0].reason;
  EXPECT_GT(r.report.output_sqnr_db, 20.0);
}

TEST(AccuracyAwareReportNames, TheTableAndThePlotShowUnitNamesWhole) {
  const std::string name = "/blocks/blocks.11/attention/attention.output/dense/MatMul";
  AccuracyAwareReport r;
  r.metric = "top1";
  AccuracyAwareStep step;
  step.iteration = 1;
  step.action = "revert";
  step.unit = name;
  step.accepted = true;
  r.steps = {step};
  UnitRanking u;
  u.unit = name;
  u.recovered = 3;
  r.ranking = {u};
  r.fp32_units = {name};
  const std::string table = accuracy_aware_table(r);
  EXPECT_NE(table.find("revert      " + name + " "), std::string::npos) << table;
  EXPECT_NE(accuracy_aware_svg(r).find(">" + name + "  [FP32]<"), std::string::npos);
}

}  // namespace
}  // namespace octet::testing
