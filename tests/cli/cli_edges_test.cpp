// Rough edges of eval, inspect and --threads: eval takes the --shape its errors ask for,
// inspect lists every unsupported op and says which dynamic dims its MACs assumed, and
// --threads means the same in every subcommand (0: every core; negative: an error).
#include <gtest/gtest.h>

#include "cli/cli_fixture.hpp"

namespace octet::testing {
namespace {

class CliEdges : public CliTest {
 protected:
  // x [N, S, 4] -> MatMul(w [4, 2]) -> y [N, S, 2]: a sequence length left open
  std::string sequence_model() const {
    const std::string file = path("seq.onnx");
    OnnxBuilder()
        .input("x", {std::string("N"), std::string("S"), int64_t{4}})
        .initializer("w", {4, 2}, {1, 0, 0, 1, 1, 1, -1, 0.5f})
        .node("MatMul", {"x", "w"}, {"y"}, "proj")
        .output("y", {std::string("N"), std::string("S"), int64_t{2}})
        .save(file);
    return file;
  }
};

TEST_F(CliEdges, EvalTakesTheShapeItsErrorAsksFor) {
  const std::string model = sequence_model();
  const std::string x = write_input("x.npy", {3, 5, 4}, std::vector<float>(60, 0.5f));
  ProcessResult r = octet({"eval", model, "--data", x, "--reference", model});
  ASSERT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--shape"), std::string::npos) << r.output;
  r = octet({"eval", model, "--data", x, "--reference", model, "--metric", "max_abs", "--shape", "x=1,5,4"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("max_abs: 0 on 3 samples"), std::string::npos) << r.output;
  r = octet({"eval", model, "--data", x, "--reference", model, "--shape", "x=2,5,4"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("dim 0 is the batch"), std::string::npos) << r.output;
}

TEST_F(CliEdges, InspectSaysWhichDynamicDimsItsMacsCountedAsOne) {
  const std::string model = sequence_model();
  ProcessResult r = octet({"inspect", model});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("counted with these dynamic dims as 1: x dim 1 (S)"), std::string::npos) << r.output;
  r = octet({"inspect", model, "--shape", "x=1,128,4"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("counted with these dynamic dims"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("MACs: 1.02 K "), std::string::npos) << r.output;  // 128 * 4 * 2
}

TEST_F(CliEdges, InspectListsEveryUnsupportedOp) {
  const std::string file = path("weird.onnx");
  OnnxBuilder()
      .input("x", {int64_t{1}, int64_t{3}})
      .node("FooBar", {"x"}, {"a"}, "first_weird")
      .node("Relu", {"a"}, {"b"}, "relu")
      .node("BazQux", {"b"}, {"y"}, "second_weird")
      .output("y", {int64_t{1}, int64_t{3}})
      .save(file);
  const ProcessResult r = octet({"inspect", file});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("FooBar node 'first_weird'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("op type 'FooBar' is not supported"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 unsupported nodes in all"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("BazQux node 'second_weird'"), std::string::npos) << r.output;
}

TEST_F(CliEdges, ThreadsMeansTheSameInEverySubcommand) {
  const std::string model = foldable_model();
  const std::string x = write_input("x.npy", {2, 3}, {1, 2, 3, 4, 5, 6});
  const std::vector<std::vector<std::string>> commands = {
      {"run", model, "--input", "x=" + x, "--output-dir", path("out")},
      {"bench", model, "--iters", "1", "--warmup", "0"},
      {"eval", model, "--data", "x=" + x, "--reference", model},
      {"quantize", model, "-o", path("q.onnx"), "--data", x, "--no-speed-check"},
  };
  for (std::vector<std::string> c : commands) {
    SCOPED_TRACE(c[0]);
    c.insert(c.end(), {"--threads", "-2"});
    const ProcessResult bad = octet(c);
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.output.find("--threads wants 0 (every core) or a positive count, got -2"), std::string::npos) << bad.output;
    c.back() = "0";
    const ProcessResult all = octet(c);
    EXPECT_EQ(all.exit_code, 0) << all.output;
  }
  // bench says why it runs fewer threads than the cores it was given: these layers are tiny.
  const ProcessResult b = octet({"bench", model, "--iters", "1", "--warmup", "0", "--threads", "2"});
  ASSERT_EQ(b.exit_code, 0) << b.output;
  EXPECT_NE(b.output.find("1 thread(s) (of 2 asked: no layer is large enough to split)"), std::string::npos) << b.output;
}

}  // namespace
}  // namespace octet::testing
