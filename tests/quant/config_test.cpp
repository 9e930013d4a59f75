// The JSON config: what it sets, and that every mistake is an error naming the key.
#include <gtest/gtest.h>

#include "octet/quantize.hpp"

namespace octet {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_quantize_config(text, "cfg.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(QuantizeConfig, ReadsPotStyleSettings) {
  const QuantizeConfig c = parse_quantize_config(R"({
    "model": {"model_name": "r", "model": "r.onnx"}, "output": "r8.onnx", "stats": "r.stats",
    "data": {"source": "fashion-mnist:train", "seed": 3, "preprocess": {"scale": 0.5}},
    "input_shapes": {"input": [1, 1, 28, 28]},
    "compression": {"target_device": "CPU", "algorithms": [{"name": "DefaultQuantization", "params": {
      "preset": "mixed", "stat_subset_size": 100, "model_type": "transformer",
      "ignored": {"scope": ["head*"], "operations": [{"type": "MatMul"}]},
      "activations": {"range_estimator": {"min": {"type": "quantile", "aggregator": "mean", "outlier_prob": 0.001},
                                          "max": {"type": "abs_max", "aggregator": "median"}}},
      "weights": {"range_estimator": {"preset": "mse"}},
      "use_fast_bias": false, "saturation_fix": "first_layer", "report_subset_size": 0}}]}})",
                                                 "cfg.json");
  EXPECT_EQ(c.model, "r.onnx");
  EXPECT_EQ(c.output, "r8.onnx");
  EXPECT_EQ(c.options.stats_path, "r.stats");
  EXPECT_EQ(c.data.at("source"), "fashion-mnist:train");
  EXPECT_EQ(c.data.at("seed"), "3");
  EXPECT_EQ(c.data.at("preprocess"), R"({"scale":0.5})");
  EXPECT_EQ(c.options.input_shapes.at("input"), (Shape{1, 1, 28, 28}));
  EXPECT_EQ(c.options.preset, QuantPreset::kMixed);
  EXPECT_EQ(c.options.subset_size, 100u);
  EXPECT_EQ(c.options.model_type, ModelType::kTransformer);
  EXPECT_EQ(c.options.ignored, (std::vector<std::string>{"head*", "MatMul"}));
  EXPECT_EQ(c.options.activations.method, "custom");
  EXPECT_EQ(c.options.activations.min.statistic, "quantile");
  EXPECT_DOUBLE_EQ(c.options.activations.min.outlier_prob, 0.001);
  EXPECT_EQ(c.options.activations.max.aggregator, "median");
  EXPECT_EQ(c.options.weights.method, "mse");
  EXPECT_EQ(c.options.bias_correction, BiasCorrection::kFull);
  EXPECT_EQ(c.options.saturation_fix, SaturationFix::kFirstLayer);
  EXPECT_EQ(c.options.report_subset_size, 0u);
}

TEST(QuantizeConfig, TopLevelAlgorithmsAndDefaults) {
  const QuantizeConfig c = parse_quantize_config(
      R"({"model": "m.onnx", "algorithms": [{"name": "DefaultQuantization", "params": {"bias_correction": "none"}}]})",
      "cfg.json");
  EXPECT_EQ(c.options.bias_correction, BiasCorrection::kNone);
  EXPECT_EQ(c.options.preset, QuantPreset::kPerformance);
  EXPECT_EQ(c.options.subset_size, 300u);
}

TEST(QuantizeConfig, ErrorsNameTheKey) {
  EXPECT_NE(error_of(R"({"modle": "m.onnx"})").find("'modle'"), std::string::npos);
  EXPECT_NE(error_of(R"({"algorithms": [{"name": "DefaultQuantization", "params": {"preset": 3}}]})")
                .find("'algorithms[0].params.preset' must be a string"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"algorithms": [{"name": "DefaultQuantization", "params": {"preset": "fast"}}]})")
                .find("'algorithms[0].params.preset' is 'fast'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"algorithms": [{"name": "DefaultQuantization", "params": {"stat_subset_size": "300"}}]})")
                .find("'algorithms[0].params.stat_subset_size' must be an integer"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"algorithms": [{"name": "DefaultQuantization", "params": {"activations": {"range_estimator": {"max": {"kind": "max"}}}}}]})")
                .find("'algorithms[0].params.activations.range_estimator.max.kind'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"algorithms": [{"name": "QuantizationAwareTraining"}]})").find("'algorithms[0].name'"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"compression": {"algorithms": [], "extra": 1}})").find("'compression.extra'"), std::string::npos);
  EXPECT_NE(error_of(R"({"input_shapes": {"x": [1, 0]}})").find("'input_shapes.x'"), std::string::npos);
  EXPECT_NE(error_of("{not json").find("cfg.json"), std::string::npos);
  EXPECT_NE(error_of(R"({"algorithms": [{"name": "DefaultQuantization", "params": {"ignored": {"operations": [{"typ": "Add"}]}}}]})")
                .find("'algorithms[0].params.ignored.operations[0].typ'"),
            std::string::npos);
}

TEST(QuantizeConfig, ReadsARealPotConfigNamingTheKeysItDoesNotUse) {
  // The layout of OpenVINO POT's sample configs: engine first, model with weights, compression.
  const QuantizeConfig c = parse_quantize_config(R"({
    "model": {"model_name": "mobilenet", "model": "m.onnx", "weights": "m.bin"},
    "engine": {"type": "simplified", "data_source": "images/"},
    "compression": {"target_device": "ANY", "algorithms": [{"name": "DefaultQuantization",
      "params": {"preset": "mixed", "stat_subset_size": 50, "shuffle_data": false, "seed": 1,
                 "activations": {"bits": 8, "mode": "asymmetric", "range_estimator": {"max": {"aggregator": "max",
                                 "type": "max", "clipping_value": 6}}},
                 "weights": {"bits": 8, "granularity": "perchannel"},
                 "ignored": {"scope": ["/head/Gemm"], "operations": [{"type": "Add", "attributes": {"axis": 1}}]}}}]}})",
                                                 "pot.json");
  EXPECT_EQ(c.model, "m.onnx");
  EXPECT_EQ(c.data.at("source"), "images/");
  EXPECT_EQ(c.options.preset, QuantPreset::kMixed);
  EXPECT_EQ(c.options.subset_size, 50u);
  EXPECT_EQ(c.options.ignored, (std::vector<std::string>{"/head/Gemm", "Add"}));
  EXPECT_EQ(c.options.activations.max.aggregator, "max");
  std::string ignored;
  for (const std::string& i : c.ignored) ignored += i + "\n";
  for (const char* key : {"'model.weights' ignored", "'engine.type' ignored",
                          "'compression.algorithms[0].params.shuffle_data' ignored",
                          "'compression.algorithms[0].params.seed' ignored",
                          "'compression.algorithms[0].params.activations.mode' ignored",
                          "'compression.algorithms[0].params.activations.range_estimator.max.clipping_value' ignored",
                          "'compression.algorithms[0].params.weights.granularity' ignored",
                          "'compression.algorithms[0].params.ignored.operations[0].attributes' ignored: octet matches "
                          "operations by type alone, so every Add node is kept FP32"})
    EXPECT_NE(ignored.find(key), std::string::npos) << key << " in\n" << ignored;
  // What POT's layout does not have is still a typo, and 4 bits is refused, not ignored.
  EXPECT_NE(error_of(R"({"engine": {"type": "simplified", "data_sourc": "x"}})").find("'engine.data_sourc'"), std::string::npos);
  EXPECT_NE(error_of(R"({"algorithms": [{"name": "DefaultQuantization", "params": {"weights": {"bits": 4}}}]})")
                .find("octet quantizes to 8 bits only"),
            std::string::npos);
}

}  // namespace
}  // namespace octet
