// Models that declare absurd or inconsistent sizes, or a broken graph: each is refused with an
// error naming the file and the tensor or node, before anything of the declared size exists.
#include <gtest/gtest.h>

#include <filesystem>

#include "fixtures/temp_dir.hpp"
#include "hostile/hostile_util.hpp"
#include "octet/engine.hpp"
#include "onnx/loader.hpp"

namespace octet::testing {
namespace {

class HostileModel : public ::testing::Test {
 protected:
  std::string save(const onnx::ModelProto& m, const std::string& name = "m.onnx") {
    const std::string file = dir_.path(name);
    save_proto(m, file);
    return file;
  }
  ScopedTempDir dir_{"octet-hostile"};
};

TEST_F(HostileModel, InitializerOfTenToTheTwelveElementsWithoutData) {
  const std::string file = save(relu_add_initializer_model({kMillion, kMillion}));
  expect_error([&] { onnx_io::load_model(file); }, {"initializer 'w'", file, "[1000000,1000000]", "limit"});
  // Under the limit (10^9 floats, 4 GB) but with no data: the count is compared before the
  // tensor is allocated, so this fails at once instead of zero-filling 4 GB first.
  const std::string under = save(relu_add_initializer_model({kMillion, 1000}), "under.onnx");
  expect_error([&] { onnx_io::load_model(under); }, {"initializer 'w'", under, "has 0 values", "needs 1000000000"});
}

TEST_F(HostileModel, InitializerWhoseRawDataIsShorterThanItsShape) {
  onnx::ModelProto m = relu_add_initializer_model({kMillion, 1000});
  m.mutable_graph()->mutable_initializer(0)->set_raw_data(std::string(16, '\0'));
  std::string file = save(m);
  expect_error([&] { onnx_io::load_model(file); }, {"initializer 'w'", file, "raw data has 16 bytes", "4000000000"});
  // The ordinary case of the same bug: [2,3] floats need 24 bytes, 20 are stored.
  m = relu_add_initializer_model({2, 3});
  m.mutable_graph()->mutable_initializer(0)->set_raw_data(std::string(20, '\0'));
  file = save(m, "short.onnx");
  expect_error([&] { onnx_io::load_model(file); }, {"initializer 'w'", "raw data has 20 bytes", "needs 24"});
}

TEST_F(HostileModel, NegativeAndOverflowingDimensions) {
  const std::string negative = save(relu_add_initializer_model({2, -3}), "negative.onnx");
  expect_error([&] { onnx_io::load_model(negative); }, {"initializer 'w'", "negative dimension"});
  // 2^32 * 2^32 * 4 bytes wraps int64 to 0: a loader multiplying blindly would allocate nothing
  // and then read past the data.
  const std::string wrap = save(relu_add_initializer_model({int64_t{1} << 32, int64_t{1} << 32}), "wrap.onnx");
  expect_error([&] { onnx_io::load_model(wrap); }, {"initializer 'w'", "more than 2^63 bytes"});
}

TEST_F(HostileModel, ConstantNodeClaimingTenToTheTwelveElements) {
  onnx::ModelProto m = relu_model();
  auto* c = m.mutable_graph()->add_node();
  c->set_op_type("Constant");
  c->set_name("huge_const");
  c->add_output("k");
  auto* a = c->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(onnx::TensorProto::FLOAT);
  a->mutable_t()->add_dims(kMillion);
  a->mutable_t()->add_dims(kMillion);
  const std::string file = save(m);
  expect_error([&] { onnx_io::load_model(file); }, {"Constant node 'huge_const'", file, "[1000000,1000000]", "limit"});
}

TEST_F(HostileModel, GraphInputOfTenToTheTwelveElementsIsRefusedAtCompile) {
  const std::string file = save(OnnxBuilder().input("x", {kMillion, kMillion}).node("Relu", {"x"}, {"y"}, "relu")
                                    .output("y", {kMillion, kMillion}).proto());
  const Model model = Model::load(file);  // declaring it is allowed; allocating it is not
  expect_error([&] { CompiledModel::compile(model); }, {"input 'x'", "[1000000,1000000]", "limit"});
}

TEST_F(HostileModel, ComputedShapesOverTheLimitAreRefusedBeforeFolding) {
  // ConstantOfShape(shape = [10^6, 10^6]): constant folding would materialize 4 TB.
  onnx::ModelProto m = OnnxBuilder().input("x", {int64_t{1}}).node("ConstantOfShape", {"s"}, {"big"}, "fill")
                           .node("Add", {"x", "big"}, {"y"}, "add").output("y", {kMillion, kMillion}).proto();
  auto* s = m.mutable_graph()->add_initializer();
  s->set_name("s");
  s->set_data_type(onnx::TensorProto::INT64);
  s->add_dims(2);
  s->add_int64_data(kMillion);
  s->add_int64_data(kMillion);
  std::string file = save(m, "fill.onnx");
  expect_error([&] { CompiledModel::compile(Model::load(file)); }, {"ConstantOfShape node 'fill'", "output 'big'", "limit"});

  // Tile by 2^62 on a dim of 8 wraps int64 to 0; it must be an error, not an empty tensor.
  m = OnnxBuilder().input("x", {int64_t{8}}).node("Tile", {"x", "r"}, {"y"}, "tile").output("y", {int64_t{-1}}).proto();
  auto* r = m.mutable_graph()->add_initializer();
  r->set_name("r");
  r->set_data_type(onnx::TensorProto::INT64);
  r->add_dims(1);
  r->add_int64_data(int64_t{1} << 62);
  file = save(m, "tile.onnx");
  expect_error([&] { CompiledModel::compile(Model::load(file)); }, {"Tile node 'tile'", "overflows"});
  m.mutable_graph()->mutable_initializer(0)->set_int64_data(0, -2);
  file = save(m, "tile_negative.onnx");
  expect_error([&] { CompiledModel::compile(Model::load(file)); }, {"Tile node 'tile'", "non-negative"});
}

// One op each whose output shape comes from constants claiming 10^12+ elements (or wrapping
// int64: Reshape to [2^62 + 1, 4] multiplies to 4 mod 2^64, the input's own count).
TEST_F(HostileModel, EveryShapeProducingOpIsBoundedByTheLimit) {
  struct OpCase {
    std::string op;
    std::vector<std::string> inputs;
    std::vector<int64_t> ints;    // the int64 constant "k", if used
    std::vector<float> floats;    // the float constants "f0", "f1", ... if used
    Shape x_shape;
  };
  const std::vector<OpCase> cases = {
      {"Reshape", {"x", "k"}, {(int64_t{1} << 62) + 1, 4}, {}, {4}},
      {"Expand", {"x", "k"}, {kMillion, kMillion, 4}, {}, {4}},
      {"Pad", {"x", "k"}, {kMillion * kMillion, 0}, {}, {4}},
      {"Tile", {"x", "k"}, {kMillion * kMillion}, {}, {4}},
      {"Resize", {"x", "", "f0"}, {}, {1, 1, 1e6f, 1e6f}, {1, 1, 4, 4}},
  };
  for (const OpCase& c : cases) {
    std::vector<Dim> dims(c.x_shape.begin(), c.x_shape.end());
    onnx::ModelProto m = OnnxBuilder().input("x", dims).node(c.op, c.inputs, {"y"}, "big_" + c.op).output("y", {}).proto();
    if (!c.ints.empty()) {
      auto* k = m.mutable_graph()->add_initializer();
      k->set_name("k");
      k->set_data_type(onnx::TensorProto::INT64);
      k->add_dims(static_cast<int64_t>(c.ints.size()));
      for (int64_t v : c.ints) k->add_int64_data(v);
    }
    if (!c.floats.empty()) {
      auto* f = m.mutable_graph()->add_initializer();
      f->set_name("f0");
      f->set_data_type(onnx::TensorProto::FLOAT);
      f->add_dims(static_cast<int64_t>(c.floats.size()));
      for (float v : c.floats) f->add_float_data(v);
    }
    const std::string file = save(m, c.op + ".onnx");
    expect_error([&] { CompiledModel::compile(Model::load(file)); }, {c.op + " node 'big_" + c.op + "'", "output 'y'", "limit"});
  }
  // Range(0, 1e12, 1): its length comes from the values, not a shape.
  onnx::ModelProto m = OnnxBuilder().input("x", {int64_t{1}}).node("Range", {"a", "b", "c"}, {"r"}, "big_range")
                           .node("Add", {"r", "x"}, {"y"}, "add").output("y", {}).proto();
  for (const auto& [name, v] : std::vector<std::pair<std::string, float>>{{"a", 0.0f}, {"b", 1e12f}, {"c", 1.0f}}) {
    auto* t = m.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    t->add_float_data(v);
  }
  const std::string file = save(m, "range.onnx");
  expect_error([&] { CompiledModel::compile(Model::load(file)); }, {"Range node 'big_range'", "output 'r'", "limit"});
}

TEST_F(HostileModel, GraphWithACycle) {
  // a = Relu(b), b = Relu(a): each node's input is produced, but only by the other.
  const std::string file = save(OnnxBuilder().input("x", {int64_t{3}}).node("Add", {"x", "b"}, {"a"}, "first")
                                    .node("Relu", {"a"}, {"b"}, "second").output("b", {int64_t{3}}).proto());
  expect_error([&] { onnx_io::load_model(file); }, {"cycle", "node '"});
}

TEST_F(HostileModel, NodeInputThatNothingProduces) {
  const std::string file = save(OnnxBuilder().input("x", {int64_t{3}}).node("Add", {"x", "ghost"}, {"y"}, "add")
                                    .output("y", {int64_t{3}}).proto());
  expect_error([&] { onnx_io::load_model(file); }, {"Add node 'add'", file, "input 'ghost'", "produced by no node"});
}

TEST_F(HostileModel, ValueProducedByTwoNodesAndOutputProducedByNone) {
  std::string file = save(OnnxBuilder().input("x", {int64_t{3}}).node("Relu", {"x"}, {"y"}, "one")
                              .node("Neg", {"x"}, {"y"}, "two").output("y", {int64_t{3}}).proto(), "twice.onnx");
  expect_error([&] { onnx_io::load_model(file); }, {file, "output 'y'", "node 'one'", "node 'two'"});
  file = save(OnnxBuilder().input("x", {int64_t{3}}).node("Relu", {"x"}, {"y"}, "relu").output("nowhere", {int64_t{3}})
                  .proto(), "no_output.onnx");
  expect_error([&] { onnx_io::load_model(file); }, {file, "output 'nowhere'"});
}

}  // namespace
}  // namespace octet::testing
