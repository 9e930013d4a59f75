// ONNX external data: a location must stay inside the model's folder (no absolute path, no
// "..", no symlink resolving outside) and its offset/length must hold exactly what the shape
// needs; anything else is refused naming the initializer and the file, before it is read.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fixtures/temp_dir.hpp"
#include "hostile/hostile_util.hpp"
#include "onnx/loader.hpp"

namespace octet::testing {
namespace {

namespace fs = std::filesystem;

class ExternalData : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(model_dir_);
    // Six floats 1..6, the bytes a well-formed "w" [2,3] points at.
    std::vector<float> w = {1, 2, 3, 4, 5, 6};
    write_file(model_dir_ + "/w.bin", std::string(reinterpret_cast<const char*>(w.data()), 24));
    write_file(root_.path("secret.bin"), std::string(24, 'S'));
  }
  static void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  // The Relu model plus an Add of initializer "w" [dims] stored externally at `location`.
  std::string model_with(const std::string& location, const std::vector<int64_t>& dims = {1, 3},
                         const std::vector<std::pair<std::string, std::string>>& extra = {}) {
    onnx::ModelProto m = relu_add_initializer_model(dims);
    auto* t = m.mutable_graph()->mutable_initializer(0);
    t->set_data_location(onnx::TensorProto::EXTERNAL);
    auto* loc = t->add_external_data();
    loc->set_key("location");
    loc->set_value(location);
    for (const auto& [k, v] : extra) {
      auto* e = t->add_external_data();
      e->set_key(k);
      e->set_value(v);
    }
    const std::string file = model_dir_ + "/m.onnx";
    save_proto(m, file);
    return file;
  }
  ScopedTempDir root_{"octet-extdata"};
  const std::string model_dir_ = root_.path("model");
};

TEST_F(ExternalData, ABenignLocationLoads) {
  // The checks must not refuse the ordinary layout: a file beside the model, and one in a sub-folder.
  const ir::Graph g = onnx_io::load_model(model_with("w.bin", {2, 3}));
  bool found = false;
  for (const ir::Value& v : g.values)
    if (v.name == "w") {
      found = true;
      ASSERT_TRUE(v.is_constant());
      EXPECT_EQ(v.data->data<float>()[5], 6.0f);
    }
  EXPECT_TRUE(found);
  fs::create_directories(model_dir_ + "/weights");
  fs::copy_file(model_dir_ + "/w.bin", model_dir_ + "/weights/w.bin");
  EXPECT_NO_THROW(onnx_io::load_model(model_with("weights/w.bin", {1, 3}, {{"offset", "12"}})));
}

TEST_F(ExternalData, LocationsThatEscapeTheModelFolderAreRefused) {
  for (const std::string& location : {std::string("../secret.bin"), std::string("weights/../../secret.bin"),
                                      std::string("./../secret.bin")}) {
    const std::string file = model_with(location);
    expect_error([&] { onnx_io::load_model(file); }, {"initializer 'w'", file, location, "escapes the model's folder"});
  }
  const std::string absolute = root_.path("secret.bin");
  const std::string file = model_with(absolute);
  expect_error([&] { onnx_io::load_model(file); }, {"initializer 'w'", absolute, "is absolute"});
}

TEST_F(ExternalData, SymlinksResolvingOutsideAreRefused) {
  ASSERT_EQ(::symlink(root_.path("secret.bin").c_str(), (model_dir_ + "/link.bin").c_str()), 0);
  std::string file = model_with("link.bin");
  expect_error([&] { onnx_io::load_model(file); }, {"initializer 'w'", "link.bin", "escapes the model's folder"});
  // A linked folder that points out of the model's folder, too.
  ASSERT_EQ(::symlink(root_.str().c_str(), (model_dir_ + "/up").c_str()), 0);
  file = model_with("up/secret.bin");
  expect_error([&] { onnx_io::load_model(file); }, {"initializer 'w'", "up/secret.bin", "escapes the model's folder"});
}

TEST_F(ExternalData, BadOffsetsAndLengthsAreRefusedBeforeReading) {
  const std::string file = model_with("w.bin");
  for (const auto& [extra, piece] : std::vector<std::pair<std::vector<std::pair<std::string, std::string>>, std::string>>{
           {{{"offset", "abc"}}, "'offset' is 'abc'"},
           {{{"length", "-4"}}, "'length' is '-4'"},
           {{{"offset", "100"}}, "offset 100 is outside"},
           // offset + length overflows int64: must not wrap into a passing bounds check.
           {{{"offset", "8"}, {"length", "9223372036854775807"}}, "needs 9223372036854775807 bytes"},
           {{{"offset", "4"}}, "has 20 bytes, its shape needs 12"},
       }) {
    model_with("w.bin", {1, 3}, extra);
    expect_error([&] { onnx_io::load_model(file); }, {"initializer 'w'", piece});
  }
  // 10^9 floats declared over a 24-byte file: compared before 4 GB are allocated.
  model_with("w.bin", {kMillion, 1000});
  expect_error([&] { onnx_io::load_model(file); }, {"initializer 'w'", "has 24 bytes, its shape needs 4000000000"});
  model_with("absent.bin");
  expect_error([&] { onnx_io::load_model(file); }, {"initializer 'w'", "absent.bin", "missing"});
}

}  // namespace
}  // namespace octet::testing
