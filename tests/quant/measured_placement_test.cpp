// Latency-aware placement: how profiled step times are charged to units (synthetic profiles,
// no timing asserted), and what the measured placement does to a real model's report.
#include <gtest/gtest.h>

#include <algorithm>

#include "fashion_fixture.hpp"
#include "quant/algorithms/measured_placement.hpp"
#include "quant/transforms/insert_qdq.hpp"
#include "quant_test_util.hpp"

namespace octet::quant {
namespace {

using testing::small_cnn;

size_t unit_named(const std::vector<RevertUnit>& units, const std::string& name) {
  for (size_t u = 0; u < units.size(); ++u)
    if (units[u].name == name) return u;
  throw Error("no unit " + name);
}

std::string quantize_step_of(const ir::Graph& qdq, const std::string& value) {
  for (const ir::Node& n : qdq.nodes)
    if (n.op == ir::OpKind::QuantizeLinear && qdq.value(n.input(0)).name == value) return n.name;
  throw Error("no QuantizeLinear on " + value);
}

TEST(MeasuredPlacement, ConversionsAndUnfusedStepsAreChargedToTheirUnits) {
  const testing::GraphBuilder b = small_cnn(1);
  QuantSetup s = select_quantizers(b.g, {});
  testing::fill_fixed_params(s, b.g);
  const ir::Graph qdq = insert_qdq(b.g, s);
  const std::vector<RevertUnit> units = revert_units(b.g, s);
  const size_t conv1 = unit_named(units, "conv1"), fc = unit_named(units, "fc");

  NodeProfile fp32, int8;
  fp32.ms = {{"conv1", 1.0}, {"conv2", 1.0}, {"fc", 0.5}};
  // conv1 alone reads the input's quantizer, so its quantize step is conv1's to pay.
  int8.ms = {{"conv1", 0.4}, {quantize_step_of(qdq, "input"), 0.2}, {"conv2", 0.3}, {"fc", 0.45}};
  const std::vector<UnitCost> costs = attribute_unit_costs(qdq, s, units, std::vector<bool>(units.size(), true), fp32, int8);
  EXPECT_DOUBLE_EQ(costs[conv1].fp32_ms, 1.0);
  EXPECT_DOUBLE_EQ(costs[conv1].int8_ms, 0.6) << "its node plus the quantize step only it reads";
  EXPECT_DOUBLE_EQ(costs[fc].int8_ms, 0.45);
  EXPECT_FALSE(int8_does_not_pay(costs[conv1], 0.03));
  EXPECT_FALSE(int8_does_not_pay(costs[fc], 0.03)) << "0.45 against 0.5 is 10% faster";
}

TEST(MeasuredPlacement, TheThresholdNeedsAGainAndBothSidesMeasured) {
  EXPECT_TRUE(int8_does_not_pay({1.0, 1.2}, 0.03));
  EXPECT_TRUE(int8_does_not_pay({1.0, 0.99}, 0.03)) << "1% is noise, not a gain";
  EXPECT_FALSE(int8_does_not_pay({1.0, 0.9}, 0.03));
  EXPECT_FALSE(int8_does_not_pay(UnitCost{}, 0.03)) << "unmeasured units keep INT8";
}

// On the committed ResNet: every unit is reported with its times, the layers placement sent
// back are the report's FP32 layers with the measured reason, and the model still runs.
TEST(MeasuredPlacement, ReportAgreesWithTheModelOnTheFashionResnet) {
  const Model model = Model::load(testing::fmnist_model_path("fmnist_resnet"));
  const testing::Calibration calib = testing::fmnist_calibration(model, 32);
  QuantizeOptions options;
  options.placement = Placement::kMeasured;
  options.threads = 1;
  const QuantizeResult r = quantize(model, calib.source(), options);
  const PlacementReport& p = r.report.placement;
  EXPECT_EQ(p.mode, "measured");
  EXPECT_FALSE(p.cpu.empty());
  ASSERT_FALSE(p.units.empty());
  EXPECT_GT(p.fp32_ms, 0);
  EXPECT_GT(p.all_int8_ms, 0);
  EXPECT_GE(p.rounds, 1);
  for (const PlacementUnitReport& u : p.units) {
    if (u.int8) continue;
    EXPECT_NE(u.reason.find("kept FP32"), std::string::npos) << u.node;
    for (const LayerQuantReport& l : r.report.layers)
      if (l.node == u.node) EXPECT_FALSE(l.quantized) << u.node;
  }
  for (const LayerQuantReport& l : r.report.layers) {
    auto unit = std::find_if(p.units.begin(), p.units.end(), [&](const PlacementUnitReport& u) { return u.node == l.node; });
    if (unit != p.units.end()) EXPECT_EQ(unit->int8, l.quantized) << l.node;
  }
  CompiledModel compiled = testing::compile_engine(r.model, 1, 1);
  const std::vector<Tensor> out = compiled.run(calib.source().get(0));
  ASSERT_EQ(out.size(), 1u);

  options.placement = Placement::kAll;
  const QuantizeResult all = quantize(model, calib.source(), options);
  EXPECT_EQ(all.report.placement.mode, "all");
  EXPECT_TRUE(all.report.placement.units.empty());
}

}  // namespace
}  // namespace octet::quant
