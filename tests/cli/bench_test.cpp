// `octet bench`: the JSON report has the fields bench/compare_ort.sh reads and one entry per
// node with its kernel when --per-node is given; the text report counts nodes per dtype.
// Only the structure is checked: timings belong in bench/, not in pass/fail tests.
#include <nlohmann/json.hpp>

#include "cli/cli_fixture.hpp"

namespace octet::testing {
namespace {

using CliBench = CliTest;

TEST_F(CliBench, JsonReportHasLatencyThroughputAndPerNodeKernels) {
  const std::string model = two_output_model();
  const ProcessResult r = octet({"bench", model, "--threads", "1", "--iters", "3", "--warmup", "1", "--batch", "2", "--json", "--per-node"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const nlohmann::json j = nlohmann::json::parse(r.output);
  const double median = j.at("latency_ms").at("median"), p90 = j.at("latency_ms").at("p90"), min = j.at("latency_ms").at("min");
  EXPECT_GT(min, 0.0);
  EXPECT_LE(min, median);
  EXPECT_LE(median, p90 + 1e-12);
  EXPECT_EQ(j.at("threads"), 1);
  EXPECT_EQ(j.at("batch"), 2);
  EXPECT_NEAR(j.at("throughput_fps").get<double>(), 2 * 1000.0 / median, 1e-6 * (2 * 1000.0 / median));
  std::set<std::string> ops;
  for (const auto& node : j.at("nodes")) {
    if (node.at("op") == "Reorder") continue;
    ops.insert(node.at("op").get<std::string>());
    EXPECT_FALSE(node.at("kernel").get<std::string>().empty()) << node;
    EXPECT_EQ(node.at("dtype"), "float32") << node;
    EXPECT_GE(node.at("ms").get<double>(), 0.0) << node;
    EXPECT_TRUE(node.contains("node")) << node;
  }
  EXPECT_EQ(ops, (std::set<std::string>{"Add", "Relu"}));
}

TEST_F(CliBench, TextReportCountsNodesPerDtype) {
  const ProcessResult r = octet({"bench", two_output_model(), "--threads", "1", "--iters", "2", "--warmup", "0"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("latency ms: median"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ran in FLOAT32: 2 of 2 nodes"), std::string::npos) << r.output;
}

TEST_F(CliBench, RejectsBadArguments) {
  const std::string model = two_output_model();
  for (const auto& [args, piece] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"bench", model, "--iters", "0"}, "--iters"},
           {{"bench", model, "--batch", "-3"}, "--batch"},
           {{"bench", model, "--shape", "y=1,3"}, "'y'"},
           {{"bench", model, "--per-nod"}, "--per-nod"},
           {{"bench", path("absent.onnx")}, "absent.onnx"},
       }) {
    const ProcessResult r = octet(args);
    EXPECT_EQ(r.exit_code, 1) << piece << ":\n" << r.output;
    EXPECT_NE(r.output.find(piece), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace octet::testing
