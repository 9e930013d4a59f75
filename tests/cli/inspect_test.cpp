// `octet inspect`: inputs with their symbolic dims, op counts, parameters, and
// MACs counted at batch 1 and at a --shape given, on a model whose numbers are
// worked out by hand here.
#include "cli/cli_fixture.hpp"

namespace octet::testing {
namespace {

class CliInspect : public CliTest {
 protected:
  // x [N,4] -> MatMul W[4,5] -> Add b[5] -> Relu: 20 MACs a row, 25 parameters.
  std::string matmul_model() const {
    const std::string file = path("mm.onnx");
    OnnxBuilder()
        .input("x", {std::string("N"), int64_t{4}})
        .initializer("w", {4, 5}, std::vector<float>(20, 0.5f))
        .initializer("b", {5}, std::vector<float>(5, 1.0f))
        .node("MatMul", {"x", "w"}, {"h"}, "mm")
        .node("Add", {"h", "b"}, {"y0"}, "bias")
        .node("Relu", {"y0"}, {"y"}, "relu")
        .output("y", {std::string("N"), int64_t{5}})
        .save(file);
    return file;
  }
};

TEST_F(CliInspect, ShowsInputsOpsParametersAndMacs) {
  const std::string model = matmul_model();
  ProcessResult r = octet({"inspect", model});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("x  float32 [N,4]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("MatMul: 1"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("parameters: 25"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("MACs: 20 (FLOPs: 40) per inference at batch 1"),
            std::string::npos)
      << r.output;

  r = octet({"inspect", model, "--shape", "x=3,4"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(
      r.output.find("MACs: 60 (FLOPs: 120) per inference at the shapes given"),
      std::string::npos)
      << r.output;
}

TEST_F(CliInspect, NotAModelIsAnErrorNamingTheFile) {
  const std::string bogus = path("bogus.onnx");
  std::ofstream(bogus) << "this is not a protobuf";
  const ProcessResult r = octet({"inspect", bogus});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("bogus.onnx"), std::string::npos) << r.output;
}

} // namespace
} // namespace octet::testing
