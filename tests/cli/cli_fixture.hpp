// Shared set-up for the CLI tests: a scratch folder, the path of the real `octet` binary
// (OCTET_CLI), and two tiny models built in place. The tests check what a user sees: exit
// codes, files written, and error messages that name the offending thing.
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fixtures/temp_dir.hpp"
#include "data/npy.hpp"
#include "fixtures/onnx_builder.hpp"
#include "fixtures/run_process.hpp"

namespace octet::testing {

class CliTest : public ::testing::Test {
 protected:

  std::string path(const std::string& name) const { return (std::filesystem::path(dir_) / name).string(); }

  // octet ARGS..., with stdout and stderr captured together.
  ProcessResult octet(std::vector<std::string> args) const {
    args.insert(args.begin(), OCTET_CLI);
    return run_process(args);
  }

  // x: float [N,3] (N open) -> "/head/sum:0" = x + c, "relu" = Relu(x). The output name with
  // '/' and ':' exercises the file-name sanitizing of `octet run`.
  std::string two_output_model() const {
    const std::string file = path("two_outputs.onnx");
    OnnxBuilder()
        .input("x", {std::string("N"), int64_t{3}})
        .initializer("c", {3}, kC)
        .node("Add", {"x", "c"}, {"/head/sum:0"}, "add")
        .node("Relu", {"x"}, {"relu"}, "relu")
        .output("/head/sum:0", {std::string("N"), int64_t{3}})
        .output("relu", {std::string("N"), int64_t{3}})
        .save(file);
    return file;
  }

  // x: float [N,3] -> Relu(x + (c1 + c2)): a constant subexpression for the optimizer to fold.
  std::string foldable_model() const {
    const std::string file = path("foldable.onnx");
    OnnxBuilder()
        .input("x", {std::string("N"), int64_t{3}})
        .initializer("c1", {3}, {0.5f, -1.0f, 2.0f})
        .initializer("c2", {3}, {0.25f, 0.5f, -3.0f})
        .node("Add", {"c1", "c2"}, {"c"}, "add_consts")
        .node("Add", {"x", "c"}, {"y"}, "add_x")
        .node("Relu", {"y"}, {"out"}, "relu")
        .output("out", {std::string("N"), int64_t{3}})
        .save(file);
    return file;
  }

  std::string write_input(const std::string& name, const Shape& shape, const std::vector<float>& values) const {
    const std::string file = path(name);
    data::write_npy(file, Tensor::from_vector(DType::kFloat32, shape, values));
    return file;
  }

  static std::string read_bytes(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  static inline const std::vector<float> kC = {1.0f, -2.0f, 0.5f};
  ScopedTempDir scratch_{"octet-cli"};
  const std::string& dir_ = scratch_.str();
};

}  // namespace octet::testing
