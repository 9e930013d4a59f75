// The quantization enums' one name table: every name parses back to its value, a wrong name
// fails naming what was parsed and every accepted name, and the config file reads through it.
#include <gtest/gtest.h>

#include "octet/quantize.hpp"

namespace octet {
namespace {

template <class E>
void expect_round_trip(const std::vector<std::string>& names, E (*parse)(const std::string&, const std::string&),
                       const char* (*name_of)(E)) {
  ASSERT_FALSE(names.empty());
  for (const std::string& n : names) EXPECT_EQ(name_of(parse(n, "test")), n);
}

TEST(EnumNames, EveryNameRoundTrips) {
  expect_round_trip(preset_names(), parse_preset, preset_name);
  expect_round_trip(model_type_names(), parse_model_type, model_type_name);
  expect_round_trip(bias_correction_names(), parse_bias_correction, bias_correction_name);
  expect_round_trip(saturation_fix_names(), parse_saturation_fix, saturation_fix_name);
  EXPECT_TRUE(parse_drop_type("relative", "test"));
  EXPECT_FALSE(parse_drop_type("absolute", "test"));
  EXPECT_STREQ(drop_type_name(true), "relative");
}

TEST(EnumNames, WrongNameListsTheChoices) {
  try {
    parse_saturation_fix("first-layer", "--saturation-fix");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "--saturation-fix is 'first-layer'; it must be one of: auto, detect, no, first_layer, all");
  }
}

TEST(EnumNames, ConfigFileReadsTheSameTable) {
  const QuantizeConfig c = parse_quantize_config(
      R"({"algorithms": [{"name": "DefaultQuantization", "params": {"preset": "mixed", "model_type": "cnn",
          "bias_correction": "none", "saturation_fix": "first_layer"}}]})",
      "c.json");
  EXPECT_EQ(c.options.preset, QuantPreset::kMixed);
  EXPECT_EQ(c.options.model_type, ModelType::kCnn);
  EXPECT_EQ(c.options.bias_correction, BiasCorrection::kNone);
  EXPECT_EQ(c.options.saturation_fix, SaturationFix::kFirstLayer);
  try {
    parse_quantize_config(R"({"algorithms": [{"name": "DefaultQuantization", "params": {"preset": "fast"}}]})", "c.json");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "c.json: 'algorithms[0].params.preset' is 'fast'; it must be one of: performance, mixed");
  }
}

}  // namespace
}  // namespace octet
