// `octet quantize` as a user drives it, on a small CNN built in place (Conv, Relu, a residual-free
// pool and a Gemm head) with seeded random calibration data: the QDQ file it writes, the JSON
// report, statistics reuse with --stats, config files with flags overriding them, and errors
// that name the offending flag or key.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <onnx/onnx_pb.h>
#include <random>

#include "cli/cli_fixture.hpp"
#include "octet/engine.hpp"

namespace octet::testing {
namespace {

std::vector<float> seeded(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

class QuantizeCli : public CliTest {
 protected:
  // x [N,3,8,8] -> Conv(8, 3x3) -> Relu -> Conv(8, 1x1) -> Relu -> GlobalAveragePool -> Flatten -> Gemm(4)
  std::string cnn_model() const {
    const std::string file = path("cnn.onnx");
    OnnxBuilder()
        .input("x", {std::string("N"), int64_t{3}, int64_t{8}, int64_t{8}})
        .initializer("w1", {8, 3, 3, 3}, seeded(216, 1, 0.3f))
        .initializer("b1", {8}, seeded(8, 2, 0.1f))
        .initializer("w2", {8, 8, 1, 1}, seeded(64, 3, 0.4f))
        .initializer("b2", {8}, seeded(8, 4, 0.1f))
        .initializer("w3", {8, 4}, seeded(32, 5, 0.5f))
        .initializer("b3", {4}, seeded(4, 6, 0.1f))
        .node("Conv", {"x", "w1", "b1"}, {"c1"}, "conv1")
        .node("Relu", {"c1"}, {"r1"}, "relu1")
        .node("Conv", {"r1", "w2", "b2"}, {"c2"}, "conv2")
        .node("Relu", {"c2"}, {"r2"}, "relu2")
        .node("GlobalAveragePool", {"r2"}, {"g"}, "gap")
        .node("Flatten", {"g"}, {"f"}, "flatten")
        .node("Gemm", {"f", "w3", "b3"}, {"y"}, "head")
        .output("y", {std::string("N"), int64_t{4}})
        .save(file);
    return file;
  }

  std::string calibration_data(size_t n) const {
    const std::string file = path("calib.npy");
    data::write_npy(file, Tensor::from_vector(DType::kFloat32, {static_cast<int64_t>(n), 3, 8, 8}, seeded(n * 192, 7, 1.0f)));
    return file;
  }

  static nlohmann::json read_json(const std::string& file) {
    std::ifstream in(file);
    return nlohmann::json::parse(in);
  }
};

TEST_F(QuantizeCli, WritesQdqModelAndReport) {
  const std::string model = cnn_model(), data = calibration_data(40);
  const ProcessResult r = octet({"quantize", model, "-o", path("q.onnx"), "--data", data, "--subset-size", "32",
                                 "--report", path("report.json"), "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("3 of 3 layers in INT8"), std::string::npos) << r.output;

  onnx::ModelProto proto;
  std::ifstream in(path("q.onnx"), std::ios::binary);
  ASSERT_TRUE(proto.ParseFromIstream(&in));
  int q = 0, dq = 0;
  for (const auto& n : proto.graph().node()) {
    q += n.op_type() == "QuantizeLinear";
    dq += n.op_type() == "DequantizeLinear";
  }
  EXPECT_GE(q, 3);   // x, relu1 output, the head's input (+ the pool's input sharing its scale)
  EXPECT_GE(dq, q + 6);  // every Q has its DQ, plus weights and biases of three layers
  bool int8_weights = false;
  for (const auto& t : proto.graph().initializer()) int8_weights = int8_weights || t.data_type() == onnx::TensorProto::INT8;
  EXPECT_TRUE(int8_weights);
  EXPECT_EQ(proto.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "N") << "batch stays dynamic";

  const nlohmann::json report = read_json(path("report.json"));
  EXPECT_EQ(report["calibration_samples"], 32);
  EXPECT_EQ(report["preset"], "performance");
  ASSERT_EQ(report["layers"].size(), 3u);
  for (const auto& layer : report["layers"]) {
    EXPECT_TRUE(layer["quantized"].get<bool>()) << layer.dump();
    EXPECT_GT(layer["scale"].get<double>(), 0.0);
    ASSERT_TRUE(layer["sqnr_db"].is_number()) << layer.dump();
    EXPECT_GT(layer["sqnr_db"].get<double>(), 20.0) << layer.dump();  // 8 bits on smooth data
  }
  EXPECT_TRUE(report["stage_seconds"].contains("statistics"));

  // The QDQ model runs in octet and stays close to the FP32 model.
  const Tensor x = Tensor::from_vector(DType::kFloat32, {1, 3, 8, 8}, seeded(192, 99, 1.0f));
  CompiledModel fp32 = CompiledModel::compile(Model::load(model));
  CompiledModel int8 = CompiledModel::compile(Model::load(path("q.onnx")));
  const Tensor a = fp32.run({x})[0], b = int8.run({x})[0];
  double signal = 0, noise = 0;
  for (int i = 0; i < 4; ++i) {
    signal += a.data<float>()[i] * a.data<float>()[i];
    noise += std::pow(a.data<float>()[i] - b.data<float>()[i], 2);
  }
  EXPECT_GT(10 * std::log10(signal / noise), 15.0);
}

TEST_F(QuantizeCli, StatisticsFileIsReusedOnlyForTheSameModelAndData) {
  const std::string model = cnn_model(), data = calibration_data(20);
  const std::vector<std::string> base = {"quantize", model, "-o", path("q.onnx"), "--data", data, "--stats",
                                         path("s.stats"), "--report", path("r.json"), "--threads", "1"};
  ProcessResult r = octet(base);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(read_json(path("r.json"))["statistics_reused"].get<bool>());
  ASSERT_TRUE(std::filesystem::exists(path("s.stats")));
  // Other settings, same statistics: calibration is skipped.
  std::vector<std::string> mixed = base;
  mixed.insert(mixed.end(), {"--preset", "mixed", "--bias-correction", "none"});
  r = octet(mixed);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(read_json(path("r.json"))["statistics_reused"].get<bool>());
  // A setting that needs a statistic the file lacks (histograms for MSE): collected again.
  std::vector<std::string> mse = base;
  mse.insert(mse.end(), {"--activations-range", "mse"});
  r = octet(mse);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(read_json(path("r.json"))["statistics_reused"].get<bool>());
  // Other calibration data: collected again.
  std::vector<std::string> other = base;
  other[5] = calibration_data(12);
  r = octet(other);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(read_json(path("r.json"))["statistics_reused"].get<bool>());
}

TEST_F(QuantizeCli, ConfigFileWithFlagsOverridingIt) {
  const std::string model = cnn_model(), data = calibration_data(20);
  std::ofstream(path("cfg.json")) << R"({"model": ")" << model << R"(", "output": ")" << path("cfg.onnx") << R"(",
    "data": {"source": ")" << data << R"("},
    "algorithms": [{"name": "DefaultQuantization",
                    "params": {"preset": "mixed", "stat_subset_size": 16, "ignored": ["head"]}}]})";
  ProcessResult r = octet({"quantize", "--config", path("cfg.json"), "--report", path("r.json"), "--subset-size", "8"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json report = read_json(path("r.json"));
  EXPECT_EQ(report["preset"], "mixed");
  EXPECT_EQ(report["calibration_samples"], 8) << "the flag wins over stat_subset_size";
  EXPECT_FALSE(report["layers"][2]["quantized"].get<bool>());
  EXPECT_NE(report["layers"][2]["reason"].get<std::string>().find("ignored"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(path("cfg.onnx")));
}

TEST_F(QuantizeCli, ErrorsNameTheFlagOrKey) {
  const std::string model = cnn_model(), data = calibration_data(4);
  ProcessResult r = octet({"quantize", model, "-o", path("q.onnx"), "--data", data, "--preset", "fastest"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--preset"), std::string::npos) << r.output;
  r = octet({"quantize", model, "-o", path("q.onnx")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--data"), std::string::npos) << r.output;
  std::ofstream(path("bad.json")) << R"({"algorithms": [{"name": "DefaultQuantization", "params": {"presett": "mixed"}}]})";
  r = octet({"quantize", model, "-o", path("q.onnx"), "--data", data, "--config", path("bad.json")});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("algorithms[0].params.presett"), std::string::npos) << r.output;
  r = octet({"quantize", model, "-o", path("q.onnx"), "--data", data, "--activations-range", "median"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("median"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("q.onnx")));
}

}  // namespace
}  // namespace octet::testing
