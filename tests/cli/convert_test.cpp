// `octet convert`: writes an optimized model that octet and the check agree computes the same
// as the input, and refuses to overwrite its input.
#include "cli/cli_fixture.hpp"

namespace octet::testing {
namespace {

using CliConvert = CliTest;

// Until the ONNX writer lands, convert can only report that; skip rather than fail then.
#define SKIP_IF_SAVING_UNIMPLEMENTED(r) \
  if ((r).output.find("saving models is not implemented") != std::string::npos) GTEST_SKIP() << (r).output

TEST_F(CliConvert, WritesAModelThatComputesTheSame) {
  const std::string model = foldable_model(), converted = path("converted.onnx");
  const ProcessResult r = octet({"convert", model, "-o", converted, "--batch", "2"});
  SKIP_IF_SAVING_UNIMPLEMENTED(r);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("check passed"), std::string::npos) << r.output;
  ASSERT_TRUE(std::filesystem::exists(converted));

  // The written file runs and gives Relu(x + c1 + c2), computed here by hand.
  const std::vector<float> x = {-1.0f, 0.25f, 1.5f, 2.0f, -3.0f, 0.0f};
  const std::vector<float> c = {0.75f, -0.5f, -1.0f};
  const ProcessResult run = octet({"run", converted, "--input", "x=" + write_input("x.npy", {2, 3}, x), "--output-dir", path("out")});
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const Tensor out = data::read_npy(path("out/out.npy"));
  ASSERT_EQ(out.shape, (Shape{2, 3}));
  for (size_t i = 0; i < x.size(); ++i) EXPECT_FLOAT_EQ(out.data<float>()[i], std::max(0.0f, x[i] + c[i % 3])) << i;
}

TEST_F(CliConvert, RefusesToOverwriteItsInput) {
  const std::string model = foldable_model();
  const std::string before = read_bytes(model);
  for (const std::string& target : {model, dir_ + "/./foldable.onnx"}) {
    const ProcessResult r = octet({"convert", model, "-o", target});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("refusing to overwrite"), std::string::npos) << r.output;
  }
  EXPECT_EQ(read_bytes(model), before);
}

TEST_F(CliConvert, RejectsBadArguments) {
  const std::string model = foldable_model();
  for (const auto& [args, piece] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"convert", model}, "-o"},
           {{"convert", model, "-o", path("x.onnx"), "--tolerance", "-1"}, "--tolerance"},
           {{"convert", model, "-o", path("x.onnx"), "--shape", "nope=1,3"}, "nope"},
           {{"convert", path("absent.onnx"), "-o", path("x.onnx")}, "absent.onnx"},
           {{"convert", model, "-o", path("no/such/dir/x.onnx"), "--no-check"}, "no/such/dir"},
       }) {
    const ProcessResult r = octet(args);
    if (piece == "no/such/dir") SKIP_IF_SAVING_UNIMPLEMENTED(r);
    EXPECT_EQ(r.exit_code, 1) << piece << ":\n" << r.output;
    EXPECT_NE(r.output.find(piece), std::string::npos) << r.output;
  }
}

}  // namespace
}  // namespace octet::testing
