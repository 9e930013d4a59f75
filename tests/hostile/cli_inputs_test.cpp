// Bad inputs through `octet quantize` and `octet run` as a user meets them: each fails with
// exit code 1 and a message naming the file, node, input or flag, before any output is written.
// (Loader-, dataset- and run-level cases of the same kinds live in tests/cli and tests/data;
// docs/reliability.md lists them all.)
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_fixture.hpp"

namespace octet::testing {
namespace {

struct BadCase {
  std::string what;
  std::vector<std::string> args;
  std::vector<std::string> pieces;
};

class HostileCliInputs : public CliTest {
 protected:
  // x [1,2,4,4] -> Conv -> y
  std::string conv_model() const {
    const std::string file = path("conv.onnx");
    OnnxBuilder().input("x", {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{4}})
        .initializer("w", {2, 2, 1, 1}, {1.0f, 0.5f, -0.5f, 1.0f})
        .node("Conv", {"x", "w"}, {"y"}, "conv")
        .output("y", {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{4}}).save(file);
    return file;
  }
  void check(const std::vector<BadCase>& cases) const {
    for (const BadCase& c : cases) {
      const ProcessResult r = octet(c.args);
      EXPECT_EQ(r.exit_code, 1) << c.what << ":\n" << r.output;
      for (const std::string& p : c.pieces)
        EXPECT_NE(r.output.find(p), std::string::npos) << c.what << ": no '" << p << "' in:\n" << r.output;
      EXPECT_EQ(r.output.find("internal error"), std::string::npos) << c.what << ":\n" << r.output;
      EXPECT_FALSE(std::filesystem::exists(path("q.onnx"))) << c.what;
    }
  }
};

TEST_F(HostileCliInputs, UnsupportedOpsNameTheOpTypeNodeAndFile) {
  const std::string foo = path("foo.onnx"), domain = path("domain.onnx");
  OnnxBuilder().input("x", {int64_t{3}}).node("FooBar", {"x"}, {"y"}, "weird_node").output("y", {int64_t{3}}).save(foo);
  onnx::ModelProto m = OnnxBuilder().input("x", {int64_t{3}}).node("Relu", {"x"}, {"y"}, "custom_relu")
                           .output("y", {int64_t{3}}).proto();
  m.mutable_graph()->mutable_node(0)->set_domain("com.example");
  std::ofstream(domain, std::ios::binary) << m.SerializeAsString();
  const std::string x = write_input("x.npy", {3}, {1, 2, 3});
  check({
      {"unknown op, run", {"run", foo, "--input", "x=" + x, "--output-dir", path("out")}, {foo, "FooBar node 'weird_node'", "op type 'FooBar' is not supported"}},
      {"unknown op, quantize", {"quantize", foo, "--data", x, "-o", path("q.onnx")}, {foo, "FooBar node 'weird_node'"}},
      {"custom domain", {"inspect", domain}, {domain, "Relu node 'custom_relu'", "domain 'com.example'"}},
  });
}

TEST_F(HostileCliInputs, QuantizeDataThatDoesNotFitTheModel) {
  const std::string model = conv_model();
  const std::string wrong_shape = path("wrong_shape.npy"), labels = path("labels.npy");
  data::write_npy(wrong_shape, Tensor(DType::kFloat32, {4, 3, 8, 8}));
  data::write_npy(path("good.npy"), Tensor(DType::kFloat32, {4, 2, 4, 4}));
  data::write_npy(labels, Tensor::from_vector(DType::kInt64, {3}, std::vector<int64_t>{0, 1, 0}));
  std::filesystem::create_directories(path("empty/cls"));
  std::ofstream(path("notdata.bin")) << "plain text, not a dataset\n";
  const std::string q = path("q.onnx");
  check({
      {"wrong sample shape", {"quantize", model, "--data", wrong_shape, "-o", q},
       {"wrong_shape.npy[0]", "[1,3,8,8]", "input 'x'", "[1,2,4,4]"}},
      {"a named input the model lacks", {"quantize", model, "--data", "pixels=" + path("good.npy"), "-o", q},
       {"model input 'x' is not given by dataset pixels=", "the model's inputs: 'x'"}},
      {"label count", {"quantize", model, "--data", path("good.npy"), "--labels", labels, "-o", q},
       {labels, "3 labels", "4 samples"}},
      {"empty folder", {"quantize", model, "--data", path("empty"), "-o", q}, {path("empty"), "no images"}},
      {"not a dataset", {"quantize", model, "--data", path("notdata.bin"), "-o", q}, {"notdata.bin", "not a dataset"}},
      {"unknown flag", {"quantize", model, "--data", path("good.npy"), "-o", q, "--calibrate-harder"}, {"--calibrate-harder"}},
  });
}

}  // namespace
}  // namespace octet::testing
