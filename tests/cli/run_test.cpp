// `octet run`: outputs written as .npy with sanitized names and the right values, shapes taken
// from the .npy files, and every kind of bad input ending in exit 1 with a message naming it.
#include "cli/cli_fixture.hpp"

namespace octet::testing {
namespace {

using CliRun = CliTest;

const std::vector<float> kX = {-1.5f, 0.0f, 2.0f, 3.0f, -0.25f, 1.0f};

TEST_F(CliRun, WritesEachOutputWithASafeFileName) {
  const std::string model = two_output_model(), x = write_input("x.npy", {2, 3}, kX), out = path("out");
  const ProcessResult r = octet({"run", model, "--input", "x=" + x, "--output-dir", out, "--threads", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // "/head/sum:0" -> "_head_sum_0.npy"
  const Tensor sum = data::read_npy(out + "/_head_sum_0.npy");
  const Tensor relu = data::read_npy(out + "/relu.npy");
  ASSERT_EQ(sum.shape, (Shape{2, 3}));
  ASSERT_EQ(relu.shape, (Shape{2, 3}));
  ASSERT_EQ(sum.dtype, DType::kFloat32);
  for (size_t i = 0; i < kX.size(); ++i) {
    EXPECT_FLOAT_EQ(sum.data<float>()[i], kX[i] + kC[i % 3]) << i;
    EXPECT_FLOAT_EQ(relu.data<float>()[i], kX[i] > 0 ? kX[i] : 0.0f) << i;
  }
  EXPECT_NE(r.output.find("/head/sum:0 -> "), std::string::npos) << r.output;
}

TEST_F(CliRun, TakesTheOpenDimFromTheNpyFile) {
  const std::string model = two_output_model(), out = path("out");
  const std::string x = write_input("x1.npy", {1, 3}, {1.0f, 2.0f, 3.0f});
  const ProcessResult r = octet({"run", model, "--input=x=" + x, "--output-dir=" + out});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(data::read_npy(out + "/relu.npy").shape, (Shape{1, 3}));
}

TEST_F(CliRun, ConvertsAFloat64Input) {
  const std::string model = two_output_model(), out = path("out"), x = path("x64.npy");
  data::write_npy(x, convert_tensor(Tensor::from_vector(DType::kFloat32, {2, 3}, kX), DType::kFloat64));
  const ProcessResult r = octet({"run", model, "--input", "x=" + x, "--output-dir", out});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FLOAT_EQ(data::read_npy(out + "/relu.npy").data<float>()[2], 2.0f);
}

// Each bad invocation: exit code 1 and a message containing every listed piece.
struct BadCase {
  const char* what;
  std::vector<std::string> args;
  std::vector<std::string> message;
};

TEST_F(CliRun, RejectsBadInvocationsNamingTheProblem) {
  const std::string model = two_output_model(), out = path("out");
  const std::string x = write_input("x.npy", {2, 3}, kX);
  const std::string wide = write_input("wide.npy", {2, 4}, std::vector<float>(8, 1.0f));
  const std::string rank3 = write_input("rank3.npy", {1, 2, 3}, kX);
  const std::string truncated_npy = path("truncated.npy");
  std::ofstream(truncated_npy, std::ios::binary) << read_bytes(x).substr(0, 100);
  const std::string truncated_model = path("truncated.onnx");
  const std::string model_bytes = read_bytes(model);
  std::ofstream(truncated_model, std::ios::binary) << model_bytes.substr(0, model_bytes.size() / 2);
  const std::string text_file = path("notes.onnx");
  std::ofstream(text_file) << "this is not a protobuf, just some text\n";
  const std::string det_model = path("det.onnx");
  OnnxBuilder().input("m", {int64_t{3}, int64_t{3}}).node("Det", {"m"}, {"d"}, "det_node").output("d", {}).save(det_model);

  const std::vector<BadCase> cases = {
      {"missing input", {"run", model, "--output-dir", out}, {"'x'", "not given"}},
      {"unknown input name", {"run", model, "--input", "y=" + x, "--input", "x=" + x, "--output-dir", out}, {"'y'", "x"}},
      {"wrong shape", {"run", model, "--input", "x=" + wide, "--output-dir", out}, {"'x'", "[2,4]", "[?,3]"}},
      {"wrong rank", {"run", model, "--input", "x=" + rank3, "--output-dir", out}, {"'x'", "[1,2,3]"}},
      {"--shape disagrees", {"run", model, "--input", "x=" + x, "--shape", "x=4,3", "--output-dir", out}, {"'x'", "[4,3]"}},
      {"truncated .npy", {"run", model, "--input", "x=" + truncated_npy, "--output-dir", out}, {truncated_npy}},
      {"missing .npy", {"run", model, "--input", "x=" + path("nope.npy"), "--output-dir", out}, {"nope.npy"}},
      {"truncated model", {"run", truncated_model, "--input", "x=" + x, "--output-dir", out}, {truncated_model}},
      {"not an ONNX file", {"run", text_file, "--input", "x=" + x, "--output-dir", out}, {text_file, "not a valid ONNX"}},
      {"missing model", {"run", path("absent.onnx"), "--input", "x=" + x, "--output-dir", out}, {"absent.onnx"}},
      {"unknown flag", {"run", model, "--input", "x=" + x, "--output-dir", out, "--frobnicate"}, {"--frobnicate"}},
      {"unsupported op", {"run", det_model, "--output-dir", out}, {"Det"}},
      {"no output dir", {"run", model, "--input", "x=" + x}, {"--output-dir"}},
      {"bad --threads", {"run", model, "--input", "x=" + x, "--output-dir", out, "--threads", "two"}, {"--threads", "two"}},
  };
  for (const BadCase& c : cases) {
    const ProcessResult r = octet(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.what << ":\n" << r.output;
    for (const std::string& piece : c.message) EXPECT_NE(r.output.find(piece), std::string::npos) << c.what << ": no '" << piece << "' in:\n" << r.output;
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << c.what << ":\n" << r.output;
  }
  EXPECT_FALSE(std::filesystem::exists(out + "/relu.npy")) << "a failed run left outputs behind";
}

TEST_F(CliRun, HelpAndUnknownCommand) {
  const ProcessResult help = octet({"run", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--output-dir"), std::string::npos) << help.output;
  const ProcessResult unknown = octet({"frobnicate"});
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("frobnicate"), std::string::npos) << unknown.output;
}

}  // namespace
}  // namespace octet::testing
