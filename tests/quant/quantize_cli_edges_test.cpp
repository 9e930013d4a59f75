// `octet quantize` edges a new user meets: the --data NAME= rule shared with eval, --preprocess
// kept in the INT8 model, the sample count and warnings printed once, --verbose times rounded,
// the speed check, config files (paths from the file's folder, POT's layout, --ignore adding to
// the file's list), and .npy data of any numeric dtype.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>

#include "cli/cli_fixture.hpp"
#include "octet/data.hpp"
#include "octet/engine.hpp"

namespace octet::testing {
namespace {

std::vector<float> seeded(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

class QuantizeEdges : public CliTest {
 protected:
  // x [N,2,4,4] -> conv1 -> Relu -> conv2 -> y
  std::string model(const std::string& dir = "") const {
    const std::string file = dir.empty() ? path("m.onnx") : (std::filesystem::path(dir) / "m.onnx").string();
    OnnxBuilder()
        .input("x", {std::string("N"), int64_t{2}, int64_t{4}, int64_t{4}})
        .initializer("w1", {2, 2, 1, 1}, {1.0f, 0.25f, 0.5f, 1.0f})
        .initializer("w2", {2, 2, 1, 1}, {0.5f, -0.25f, 0.75f, 1.0f})
        .node("Conv", {"x", "w1"}, {"c1"}, "conv1")
        .node("Relu", {"c1"}, {"r1"}, "relu1")
        .node("Conv", {"r1", "w2"}, {"y"}, "conv2")
        .output("y", {std::string("N"), int64_t{2}, int64_t{4}, int64_t{4}})
        .save(file);
    return file;
  }
  std::string data(size_t n, DType dtype = DType::kFloat32, const std::string& file_name = "calib.npy") const {
    const std::string file = path(file_name);
    const Tensor f = Tensor::from_vector(DType::kFloat32, {static_cast<int64_t>(n), 2, 4, 4}, seeded(n * 32, 3));
    data::write_npy(file, dtype == DType::kFloat32 ? f : convert_tensor(f, dtype));
    return file;
  }
  ProcessResult quantize(std::vector<std::string> extra) const {
    std::vector<std::string> args = {"quantize", model(), "-o", path("q.onnx"), "--threads", "1", "--no-speed-check"};
    args.insert(args.end(), extra.begin(), extra.end());
    return octet(args);
  }
  static nlohmann::json read_json(const std::string& file) {
    std::ifstream in(file);
    return nlohmann::json::parse(in);
  }
};

TEST_F(QuantizeEdges, DataNamesFollowTheRuleEvalFollows) {
  const std::string calib = data(8);
  ProcessResult r = quantize({"--data", "pixels=" + calib});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("model input 'x' is not given by dataset pixels=" + calib), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("q.onnx")));
  const ProcessResult e = octet({"eval", model(), "--data", "pixels=" + calib, "--reference", model()});
  EXPECT_NE(e.exit_code, 0);
  EXPECT_NE(e.output.find("model input 'x' is not given by dataset pixels=" + calib), std::string::npos) << e.output;
  r = quantize({"--data", "x=" + calib});
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(QuantizeEdges, PreprocessGivenToQuantizeIsStoredInTheInt8Model) {
  const ProcessResult r = quantize({"--data", data(8), "--preprocess", R"({"scale": 0.5, "mean": [0.25]})"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::optional<Preprocess> p = Preprocess::from_model(Model::load(path("q.onnx")));
  ASSERT_TRUE(p.has_value());
  EXPECT_FLOAT_EQ(p->scale, 0.5f);
  EXPECT_EQ(p->mean, std::vector<float>{0.25f});
}

TEST_F(QuantizeEdges, SummaryShowsTheSampleCountAndEachWarningOnce) {
  const ProcessResult r = quantize({"--data", data(8), "--ignore", "no_such_layer"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("calibration: 8 samples (default 300"), std::string::npos) << r.output;
  EXPECT_EQ(count_of(r.output, "ignored-scope entry 'no_such_layer' matches no node"), 1u) << r.output;
}

TEST_F(QuantizeEdges, VerboseStageTimesAreRounded) {
  const ProcessResult r = quantize({"--data", data(4), "--verbose"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(r.output, m, std::regex("octet quantize: statistics ([0-9.]+) s\n"))) << r.output;
  EXPECT_TRUE(std::regex_match(m[1].str(), std::regex("[0-9]+\\.[0-9]{2}"))) << m[1];
}

TEST_F(QuantizeEdges, TheSpeedCheckMeasuresBothModelsUnlessSkipped) {
  const std::string calib = data(4);
  ProcessResult r = octet({"quantize", model(), "-o", path("q.onnx"), "--data", calib, "--threads", "1", "--report",
                           path("r.json")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json j = read_json(path("r.json"));
  EXPECT_GT(j["model"]["fp32_latency_ms"].get<double>(), 0.0) << j["model"].dump();
  EXPECT_GT(j["model"]["int8_latency_ms"].get<double>(), 0.0);
  EXPECT_NE(r.output.find("latency (batch 1, median): FP32"), std::string::npos) << r.output;
  r = quantize({"--data", calib, "--report", path("r.json")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  j = read_json(path("r.json"));
  EXPECT_TRUE(j["model"]["int8_latency_ms"].is_null()) << j["model"].dump();
}

TEST_F(QuantizeEdges, ConfigPathsAreRelativeToTheConfigFile) {
  const std::string dir = path("project");
  std::filesystem::create_directories(dir);
  model(dir);
  std::filesystem::rename(data(8), std::filesystem::path(dir) / "calib.npy");
  std::ofstream(std::filesystem::path(dir) / "cfg.json")
      << R"({"model": "m.onnx", "output": "out/q.onnx", "data": {"source": "calib.npy"}})";
  std::filesystem::create_directories(std::filesystem::path(dir) / "out");
  // The test runs from the build folder: nothing there is called m.onnx or calib.npy.
  const ProcessResult r = octet({"quantize", "--config", dir + "/cfg.json", "--threads", "1", "--no-speed-check"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir) / "out" / "q.onnx")) << r.output;
}

TEST_F(QuantizeEdges, PotConfigsAreReadWithTheUnusedKeysNamed) {
  const std::string calib = data(8);
  std::ofstream(path("pot.json")) << R"({
    "model": {"model_name": "m", "model": ")" << model() << R"(", "weights": "m.bin"},
    "engine": {"type": "simplified", "data_source": ")" << calib << R"("},
    "compression": {"target_device": "CPU", "algorithms": [{"name": "DefaultQuantization",
      "params": {"preset": "performance", "stat_subset_size": 6, "shuffle_data": false,
                 "ignored": {"scope": ["conv2"]}}}]}})";
  const ProcessResult r = octet({"quantize", "--config", path("pot.json"), "-o", path("q.onnx"), "--report",
                                 path("r.json"), "--threads", "1", "--no-speed-check"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("'engine.type' ignored: octet runs the model with its own engine"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'model.weights' ignored"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'compression.algorithms[0].params.shuffle_data' ignored"), std::string::npos) << r.output;
  const nlohmann::json j = read_json(path("r.json"));
  EXPECT_EQ(j["calibration_samples"], 6);
  EXPECT_FALSE(j["layers"][1]["quantized"].get<bool>());
}

TEST_F(QuantizeEdges, IgnoreFlagsAddToTheConfigFilesList) {
  std::ofstream(path("cfg.json")) << R"({"algorithms": [{"name": "DefaultQuantization", "params": {"ignored": ["conv1"]}}]})";
  const ProcessResult r = quantize({"--data", data(4), "--config", path("cfg.json"), "--ignore", "conv2", "--report",
                                    path("r.json")});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = read_json(path("r.json"));
  EXPECT_FALSE(j["layers"][0]["quantized"].get<bool>());
  EXPECT_FALSE(j["layers"][1]["quantized"].get<bool>());
}

TEST_F(QuantizeEdges, Float64AndIntegerDataCalibrateAndEvaluate) {
  for (DType dtype : {DType::kFloat64, DType::kInt32, DType::kUInt8}) {
    SCOPED_TRACE(dtype_name(dtype));
    const std::string calib = data(6, dtype);
    const ProcessResult r = quantize({"--data", calib});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const ProcessResult e = octet({"eval", path("q.onnx"), "--data", calib, "--reference", model(), "--metric", "sqnr"});
    EXPECT_EQ(e.exit_code, 0) << e.output;
    std::filesystem::remove(path("q.onnx"));
  }
}

TEST_F(QuantizeEdges, TokenIdModelsCalibrateAndEvaluateFromInt64Arrays) {
  // input_ids int64 [N,4] -> Gather(embedding [8,4]) -> MatMul -> y [N,4,3]
  std::vector<float> embedding(32), w(12);
  for (size_t i = 0; i < embedding.size(); ++i) embedding[i] = static_cast<float>(i % 7) - 3.0f;
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i % 5) - 2.0f;
  OnnxBuilder()
      .input("input_ids", {std::string("N"), int64_t{4}}, onnx::TensorProto::INT64)
      .initializer("embedding", {8, 4}, embedding)
      .initializer("w", {4, 3}, w)
      .node("Gather", {"embedding", "input_ids"}, {"e"}, "embed")
      .node("MatMul", {"e", "w"}, {"y"}, "proj")
      .output("y", {std::string("N"), int64_t{4}, int64_t{3}})
      .save(path("ids.onnx"));
  std::vector<int64_t> ids(40);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>((i * 5) % 8);
  data::write_npy(path("ids.npy"), Tensor::from_vector(DType::kInt64, {10, 4}, ids));
  const ProcessResult q = octet({"quantize", path("ids.onnx"), "-o", path("ids_q.onnx"), "--data",
                                 "input_ids=" + path("ids.npy"), "--threads", "1", "--no-speed-check"});
  ASSERT_EQ(q.exit_code, 0) << q.output;
  EXPECT_NE(q.output.find("1 of 1 layers in INT8"), std::string::npos) << q.output;
  const ProcessResult e = octet({"eval", path("ids_q.onnx"), "--data", path("ids.npy"), "--reference", path("ids.onnx"),
                                 "--metric", "sqnr"});
  EXPECT_EQ(e.exit_code, 0) << e.output;
  EXPECT_NE(e.output.find("sqnr: "), std::string::npos) << e.output;
}

// A model with open height and width: quantize takes the shape from the data for calibration,
// evaluation and the speed check, says what it calibrated at, and the written model keeps
// the open dims, so it runs at another size in octet.
TEST_F(QuantizeEdges, OpenSpatialDimsComeFromTheDataAndStayOpen) {
  const std::string file = path("open_hw.onnx");
  OnnxBuilder()
      .input("x", {std::string("N"), int64_t{2}, std::string("H"), std::string("W")})
      .initializer("w1", {2, 2, 1, 1}, {1.0f, 0.25f, 0.5f, 1.0f})
      .initializer("w2", {2, 2, 1, 1}, {0.5f, -0.25f, 0.75f, 1.0f})
      .node("Conv", {"x", "w1"}, {"c1"}, "conv1")
      .node("Relu", {"c1"}, {"r1"}, "relu1")
      .node("Conv", {"r1", "w2"}, {"c2"}, "conv2")
      .node("GlobalAveragePool", {"c2"}, {"pooled"}, "pool")
      .node("Flatten", {"pooled"}, {"y"}, "flatten")
      .output("y", {std::string("N"), int64_t{2}})
      .save(file);
  const std::string calib = path("calib_6x5.npy"), labels = path("labels.npy");
  data::write_npy(calib, Tensor::from_vector(DType::kFloat32, {8, 2, 6, 5}, seeded(8 * 60, 5)));
  std::vector<int64_t> label_values(8);
  for (size_t i = 0; i < label_values.size(); ++i) label_values[i] = static_cast<int64_t>(i % 2);
  data::write_npy(labels, Tensor::from_vector(DType::kInt64, {8}, label_values));
  // Without --no-speed-check: the latency check compiles at the data's shape too.
  const ProcessResult r = octet({"quantize", file, "-o", path("q.onnx"), "--threads", "1", "--data", calib,
                                 "--labels", labels});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("calibrated at: x [1,2,6,5]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("latency (batch 1, median)"), std::string::npos) << r.output;
  const Model q = Model::load(path("q.onnx"));
  ASSERT_EQ(q.inputs().size(), 1u);
  const Shape shape = q.inputs()[0].shape;  // a copy: inputs() returns a new vector
  ASSERT_EQ(shape.size(), 4u);
  EXPECT_LT(shape[2], 0) << "H stays open";
  EXPECT_LT(shape[3], 0) << "W stays open";
  const std::string other = path("x_9x7.npy");
  data::write_npy(other, Tensor::from_vector(DType::kFloat32, {1, 2, 9, 7}, seeded(126, 6)));
  const ProcessResult run = octet({"run", path("q.onnx"), "--input", "x=" + other, "--output-dir", path("out")});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(std::filesystem::exists(path("out/y.npy"))) << run.output;
  // The accuracy-aware search evaluates and times its candidates at the data's shape too.
  const ProcessResult aa = octet({"quantize", file, "-o", path("aa.onnx"), "--threads", "1", "--data", calib,
                                  "--algorithm", "accuracy-aware", "--eval-data", calib, "--eval-labels", labels});
  ASSERT_EQ(aa.exit_code, 0) << aa.output;
  EXPECT_LT(Model::load(path("aa.onnx")).inputs()[0].shape[2], 0) << "H stays open";
}

}  // namespace
}  // namespace octet::testing
