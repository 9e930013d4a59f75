// Quantizing models in the forms other exporters write them: an old opset, dynamic spatial
// dims, a Shape chain over a dynamic batch and sequence. Quantization takes each as it is,
// calibrates at the data's shapes, and writes a QDQ model that keeps what the original
// declared: opset 13 or later, and every dynamic dim still dynamic, in octet and in ONNX Runtime.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "data/npy.hpp"
#include "fixtures/onnx_builder.hpp"
#include "fixtures/run_process.hpp"
#include "fixtures/temp_dir.hpp"
#include "octet/engine.hpp"
#include "octet/error.hpp"
#include "octet/quantize.hpp"
#include "quant_test_util.hpp"

namespace octet::testing {
namespace {

std::vector<float> random_values(size_t n, uint32_t seed) {
  const Tensor t = random_tensor({static_cast<int64_t>(n)}, seed);
  return {t.data<float>(), t.data<float>() + n};
}

Tensor run_one(const Model& model, const Tensor& x) {
  CompileOptions options;
  options.threads = 1;
  options.input_shapes[model.inputs().at(0).name] = x.shape;
  CompiledModel compiled = CompiledModel::compile(model, options);
  return compiled.run({x}).at(0);
}

onnx::ModelProto read_proto(const std::string& path) {
  onnx::ModelProto proto;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(proto.ParseFromIstream(&in)) << path;
  return proto;
}

// x -> Conv 3x3 (8) -> activation -> Conv 1x1 (4) -> y, at the given opset, with x's dims as
// given (fixed or symbolic).
OnnxBuilder two_conv_model(int64_t opset, const std::vector<Dim>& x_dims, const std::vector<Dim>& y_dims) {
  OnnxBuilder b(opset);
  b.input("x", x_dims).output("y", y_dims);
  b.initializer("w1", {8, 3, 3, 3}, random_values(8 * 3 * 3 * 3, 1)).initializer("b1", {8}, random_values(8, 2));
  b.initializer("w2", {4, 8, 1, 1}, random_values(4 * 8, 3)).initializer("b2", {4}, random_values(4, 4));
  b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1").attr("pads", std::vector<int64_t>{1, 1, 1, 1});
  if (opset < 11) {
    b.node("Clip", {"c1"}, {"a1"}, "clip").attr("min", 0.0f).attr("max", 6.0f);  // bounds as attributes before 11
  } else {
    b.node("Relu", {"c1"}, {"a1"}, "relu");
  }
  b.node("Conv", {"a1", "w2", "b2"}, {"y"}, "conv2");
  return b;
}

class QuantizeModelForms : public ::testing::Test {
 protected:
  ScopedTempDir dir_{"octet-model-forms"};
  const std::string peer_ = std::string(OCTET_SOURCE_DIR) + "/peer";

  // ONNX Runtime's output for one input: the QDQ file must run there as it does in octet.
  Tensor run_in_ort(const std::string& model_path, const Tensor& x) {
    const std::string in = dir_.path("ort_x.npy"), out = dir_.path("ort_out");
    data::write_npy(in, x);
    const ProcessResult r = run_process({"node", peer_ + "/ort_run.js", "run", model_path, "--input", "x=" + in,
                                         "--output-dir", out, "--threads", "1"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return data::read_npy(out + "/y.npy");
  }
};

TEST_F(QuantizeModelForms, AnOpset9ModelIsRaisedTo13AndQuantizedPerChannel) {
  const std::string fp32_path = dir_.path("opset9.onnx"), int8_path = dir_.path("opset9_int8.onnx");
  two_conv_model(9, {1, 3, 8, 8}, {1, 4, 8, 8}).save(fp32_path);
  const Model fp32 = Model::load(fp32_path);
  QuantizeResult q = quantize(fp32, random_samples({1, 3, 8, 8}, 16));
  q.model.save(int8_path);

  const onnx::ModelProto proto = read_proto(int8_path);
  int64_t opset = -1;
  for (const auto& op : proto.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") opset = op.version();
  EXPECT_GE(opset, 13);
  std::map<std::string, int> rank_of;  // initializer -> its rank
  for (const auto& init : proto.graph().initializer()) rank_of[init.name()] = init.dims_size();
  int per_channel = 0, clip_attributes = 0;
  for (const auto& node : proto.graph().node()) {
    for (const auto& a : node.attribute()) {
      // A convolution weight is the rank-4 input; its bias follows the weight's scales.
      per_channel += node.op_type() == "DequantizeLinear" && a.name() == "axis" && rank_of[node.input(0)] == 4;
      clip_attributes += node.op_type() == "Clip" && (a.name() == "min" || a.name() == "max");
    }
  }
  EXPECT_EQ(per_channel, 2) << "both convolutions' weights per output channel";
  EXPECT_EQ(clip_attributes, 0) << "an opset-13 Clip takes its bounds as inputs";

  const Tensor x = random_tensor({1, 3, 8, 8}, 77);
  EXPECT_GT(sqnr_db(run_one(fp32, x), run_one(Model::load(int8_path), x)), 25.0);
}

TEST_F(QuantizeModelForms, DynamicSpatialDimsCalibrateAtTheDataShapeAndStayDynamic) {
  const std::string fp32_path = dir_.path("dynamic.onnx"), int8_path = dir_.path("dynamic_int8.onnx");
  two_conv_model(13, {1, 3, "h", "w"}, {1, 4, "h", "w"}).save(fp32_path);
  const Model fp32 = Model::load(fp32_path);
  QuantizeResult q = quantize(fp32, random_samples({1, 3, 16, 16}, 16));
  ASSERT_EQ(q.report.calibration_shapes.size(), 1u);
  EXPECT_EQ(q.report.calibration_shapes[0].first, "x");
  EXPECT_EQ(q.report.calibration_shapes[0].second, (Shape{1, 3, 16, 16}));
  q.model.save(int8_path);

  const Model int8 = Model::load(int8_path);
  const Shape declared = int8.inputs().at(0).shape;
  ASSERT_EQ(declared.size(), 4u);
  EXPECT_EQ(declared[0], 1);
  EXPECT_LT(declared[2], 0) << "h stays dynamic";
  EXPECT_LT(declared[3], 0) << "w stays dynamic";

  // A size calibration never saw, in both engines.
  const Tensor x = random_tensor({1, 3, 24, 20}, 78);
  const Tensor want = run_one(fp32, x);
  EXPECT_GT(sqnr_db(want, run_one(int8, x)), 25.0);
  EXPECT_GT(sqnr_db(want, run_in_ort(int8_path, x)), 25.0);
}

TEST_F(QuantizeModelForms, ShapeChainsOverDynamicDimsAreNotFoldedAtTheCalibrationShape) {
  // x[batch,seq,8] -> MatMul -> Reshape to [batch,seq,2,4] (target from Shape(x)) -> Relu
  //   -> Reshape back to Shape(x) -> y: a transformer's head split in miniature.
  const std::string fp32_path = dir_.path("heads.onnx"), int8_path = dir_.path("heads_int8.onnx");
  OnnxBuilder b(13);
  b.input("x", {"batch", "seq", 8}).output("y", {"batch", "seq", 8});
  b.initializer("w", {8, 8}, random_values(64, 5));
  b.initializer_int64("start", {1}, {0}).initializer_int64("end", {1}, {2}).initializer_int64("heads", {2}, {2, 4});
  b.node("MatMul", {"x", "w"}, {"m"}, "proj");
  b.node("Shape", {"x"}, {"x_shape"}, "shape");
  b.node("Slice", {"x_shape", "start", "end"}, {"batch_seq"}, "slice");
  b.node("Concat", {"batch_seq", "heads"}, {"split_shape"}, "concat").attr("axis", int64_t{0});
  b.node("Reshape", {"m", "split_shape"}, {"split"}, "split_heads");
  b.node("Relu", {"split"}, {"r"}, "relu");
  b.node("Reshape", {"r", "x_shape"}, {"y"}, "merge_heads");
  b.save(fp32_path);

  const Model fp32 = Model::load(fp32_path);
  QuantizeResult q = quantize(fp32, random_samples({1, 4, 8}, 16));
  q.model.save(int8_path);
  const Model int8 = Model::load(int8_path);
  for (const Shape& shape : {Shape{1, 4, 8}, Shape{2, 6, 8}, Shape{3, 1, 8}}) {
    SCOPED_TRACE(shape_str(shape));
    const Tensor x = random_tensor(shape, 79);
    const Tensor want = run_one(fp32, x);
    EXPECT_GT(sqnr_db(want, run_one(int8, x)), 25.0);
    EXPECT_GT(sqnr_db(want, run_in_ort(int8_path, x)), 25.0);
  }
}

TEST_F(QuantizeModelForms, AShapeTheUserFixesIsDeclaredFixedInTheQuantizedModel) {
  // --shape fixes the model: Shape chains fold at that shape, so the QDQ model must not claim
  // it still takes any size.
  const std::string fp32_path = dir_.path("dynamic.onnx"), int8_path = dir_.path("fixed_int8.onnx");
  two_conv_model(13, {1, 3, "h", "w"}, {1, 4, "h", "w"}).save(fp32_path);
  QuantizeOptions options;
  options.input_shapes["x"] = {1, 3, 16, 16};
  QuantizeResult q = quantize(Model::load(fp32_path), random_samples({1, 3, 16, 16}, 8), options);
  q.model.save(int8_path);
  EXPECT_EQ(Model::load(int8_path).inputs().at(0).shape, (Shape{1, 3, 16, 16}));
}

}  // namespace
}  // namespace octet::testing
