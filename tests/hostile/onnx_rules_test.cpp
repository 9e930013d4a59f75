// Models ONNX forbids (and ONNX Runtime refuses): each is refused with a message naming the
// node, the attribute and the rule, instead of running and returning numbers no one asked for.
// Loading checks the IR version, op availability at the declared opset, the op's schema
// (attribute names and types) and unique node names; shape inference checks attribute values
// against the shapes they apply to.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "fixtures/temp_dir.hpp"
#include "hostile/hostile_util.hpp"
#include "octet/engine.hpp"
#include "onnx/loader.hpp"

namespace octet::testing {
namespace {

using AP = onnx::AttributeProto;

onnx::NodeProto* last_node(onnx::ModelProto& m) {
  return m.mutable_graph()->mutable_node(m.graph().node_size() - 1);
}
void set_ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(AP::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void set_int(onnx::NodeProto* n, const std::string& name, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(AP::INT);
  a->set_i(v);
}
void set_string(onnx::NodeProto* n, const std::string& name, const std::string& v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(AP::STRING);
  a->set_s(v);
}
void add_tensor(onnx::ModelProto& m, const std::string& name, int32_t type, const std::vector<int64_t>& dims,
                const std::vector<double>& values) {
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(type);
  for (int64_t d : dims) t->add_dims(d);
  for (double v : values) {
    if (type == onnx::TensorProto::FLOAT) t->add_float_data(static_cast<float>(v));
    else if (type == onnx::TensorProto::INT64) t->add_int64_data(static_cast<int64_t>(v));
    else t->add_int32_data(static_cast<int32_t>(v));
  }
}

class OnnxRules : public ::testing::Test {
 protected:
  std::string save(const onnx::ModelProto& m, const std::string& name = "m.onnx") {
    const std::string file = dir_.path(name);
    save_proto(m, file);
    return file;
  }
  // Loads and compiles (shape inference runs at compile); expects an Error with `pieces`.
  std::string refused(const onnx::ModelProto& m, const std::vector<std::string>& pieces) {
    const std::string file = save(m);
    return expect_error([&] { CompiledModel::compile(Model::load(file)); }, pieces);
  }
  // y = Op(x) on x [1,1,8,8], the node named "n".
  static onnx::ModelProto window_model(const std::string& op, int64_t opset = 13) {
    return OnnxBuilder(opset).input("x", {int64_t{1}, int64_t{1}, int64_t{8}, int64_t{8}})
        .node(op, {"x"}, {"y"}, "n").output("y", {int64_t{1}, int64_t{1}, std::string("h"), std::string("w")}).proto();
  }
  ScopedTempDir dir_{"octet-rules"};
};

TEST_F(OnnxRules, PoolPadsAsLargeAsTheKernel) {
  // Pads of 2 around a 2x2 window: 832 of 1,156 MaxPool outputs would be windows of padding.
  for (const char* op : {"MaxPool", "AveragePool"}) {
    onnx::ModelProto m = window_model(op);
    set_ints(last_node(m), "kernel_shape", {2, 2});
    set_ints(last_node(m), "pads", {2, 2, 2, 2});
    refused(m, {cat(op, " node 'n'"), "pads", "kernel_shape", "only padding"});
  }
}

TEST_F(OnnxRules, WindowAttributesOutOfRange) {
  onnx::ModelProto m = window_model("MaxPool");
  set_ints(last_node(m), "kernel_shape", {2, 2});
  set_ints(last_node(m), "strides", {0, 1});
  refused(m, {"MaxPool node 'n'", "strides", "positive"});
  m = window_model("MaxPool");
  set_ints(last_node(m), "kernel_shape", {2, 2});
  set_ints(last_node(m), "dilations", {1, -1});
  refused(m, {"MaxPool node 'n'", "dilations", "positive"});
  m = window_model("MaxPool");
  set_ints(last_node(m), "kernel_shape", {2, 2});
  set_string(last_node(m), "auto_pad", "SIDEWAYS");
  refused(m, {"MaxPool node 'n'", "auto_pad", "SIDEWAYS"});
}

TEST_F(OnnxRules, ConvKernelLargerThanItsPaddedInputAndNegativePads) {
  // Both used to end in "value 'y' has a dynamic shape [1,4,?,?]".
  onnx::ModelProto m = window_model("Conv");
  m.mutable_graph()->mutable_node(0)->add_input("w");
  add_tensor(m, "w", onnx::TensorProto::FLOAT, {4, 1, 11, 11}, std::vector<double>(121 * 4, 0.5));
  refused(m, {"Conv node 'n'", "kernel_shape 11", "spans 11", "padded input's 8"});
  m = window_model("Conv");
  m.mutable_graph()->mutable_node(0)->add_input("w");
  add_tensor(m, "w", onnx::TensorProto::FLOAT, {4, 1, 3, 3}, std::vector<double>(36, 0.5));
  set_ints(last_node(m), "pads", {-2, 0, 0, 0});
  refused(m, {"Conv node 'n'", "pads", "-2", "pads >= 0"});
}

// The node_eval fuzz target found a ConvTranspose whose kernel_shape said 3x3 over 1x1 weights:
// the reference kernel believed the attribute and read past W. ONNX Runtime refuses it too.
TEST_F(OnnxRules, KernelShapeMustMatchTheWeights) {
  for (const char* op : {"Conv", "ConvTranspose"}) {
    onnx::ModelProto m = window_model(op);
    m.mutable_graph()->mutable_node(0)->add_input("w");
    add_tensor(m, "w", onnx::TensorProto::FLOAT, {1, 1, 1, 1}, {0.5});
    set_ints(last_node(m), "kernel_shape", {3, 3});
    refused(m, {cat(op, " node 'n'"), "kernel_shape [3,3]", "W's spatial dims [1,1]"});
  }
}

TEST_F(OnnxRules, ReflectPadBeyondTheAxis) {
  // ONNX Runtime: "pre-pad (50) exceeds maximum allowed (7)".
  onnx::ModelProto m = OnnxBuilder().input("x", {int64_t{1}, int64_t{8}}).node("Pad", {"x", "p"}, {"y"}, "pad")
                           .output("y", {int64_t{1}, std::string("n")}).proto();
  add_tensor(m, "p", onnx::TensorProto::INT64, {4}, {0, 50, 0, 0});
  set_string(last_node(m), "mode", "reflect");
  refused(m, {"Pad node 'pad'", "reflect pads of 50", "size 8", "exceed 7"});
  // Negative pads that remove more than the axis holds.
  m = OnnxBuilder().input("x", {int64_t{1}, int64_t{8}}).node("Pad", {"x", "p"}, {"y"}, "pad")
          .output("y", {int64_t{1}, std::string("n")}).proto();
  add_tensor(m, "p", onnx::TensorProto::INT64, {4}, {0, -5, 0, -4});
  refused(m, {"Pad node 'pad'", "remove more than its 8"});
}

TEST_F(OnnxRules, RangeWithNonFiniteBounds) {
  for (double limit : {std::numeric_limits<double>::infinity(), std::nan("")}) {
    onnx::ModelProto m = OnnxBuilder().input("x", {int64_t{1}}).node("Range", {"s", "l", "d"}, {"r"}, "range")
                             .node("Add", {"x", "x"}, {"y"}, "add").output("r", {std::string("n")})
                             .output("y", {int64_t{1}}).proto();
    add_tensor(m, "s", onnx::TensorProto::FLOAT, {}, {0});
    add_tensor(m, "l", onnx::TensorProto::FLOAT, {}, {limit});
    add_tensor(m, "d", onnx::TensorProto::FLOAT, {}, {1});
    refused(m, {"Range node 'range'", "must be finite"});
  }
}

TEST_F(OnnxRules, ResizeToZeroAndNonFiniteScales) {
  // sizes [1,4,0,0] used to return an empty tensor.
  onnx::ModelProto m = OnnxBuilder().input("x", {int64_t{1}, int64_t{4}, int64_t{3}, int64_t{3}})
                           .node("Resize", {"x", "", "", "sz"}, {"y"}, "rs")
                           .output("y", {int64_t{1}, int64_t{4}, std::string("h"), std::string("w")}).proto();
  add_tensor(m, "sz", onnx::TensorProto::INT64, {4}, {1, 4, 0, 0});
  refused(m, {"Resize node 'rs'", "sizes [1,4,0,0]", "positive"});
  for (double scale : {std::nan(""), std::numeric_limits<double>::infinity(), 1e30, -2.0}) {
    m = OnnxBuilder().input("x", {int64_t{1}, int64_t{4}, int64_t{3}, int64_t{3}})
            .node("Resize", {"x", "", "sc"}, {"y"}, "rs")
            .output("y", {int64_t{1}, int64_t{4}, std::string("h"), std::string("w")}).proto();
    add_tensor(m, "sc", onnx::TensorProto::FLOAT, {4}, {1, 1, scale, scale});
    refused(m, {"Resize node 'rs'", "scales[2]"});
  }
}

TEST_F(OnnxRules, TopKWithNegativeK) {
  onnx::ModelProto m = OnnxBuilder().input("x", {int64_t{1}, int64_t{4}}).node("TopK", {"x", "k"}, {"v", "i"}, "top")
                           .output("v", {int64_t{1}, std::string("k")}).output("i", {int64_t{1}, std::string("k")}, onnx::TensorProto::INT64)
                           .proto();
  add_tensor(m, "k", onnx::TensorProto::INT64, {1}, {-1});
  refused(m, {"TopK node 'top'", "k is -1", ">= 0"});
}

TEST_F(OnnxRules, DeclaredOutputTypeDisagreesWithTheNode) {
  // A float output fed by an int32 Div (ONNX Runtime: type error).
  onnx::ModelProto m = OnnxBuilder().input("a", {int64_t{2}}, onnx::TensorProto::INT32)
                           .input("b", {int64_t{2}}, onnx::TensorProto::INT32).node("Div", {"a", "b"}, {"y"}, "div")
                           .output("y", {int64_t{2}}).proto();
  refused(m, {"Div node 'div'", "output 'y' is declared float32", "computes int32"});
}

TEST_F(OnnxRules, DuplicateNodeNames) {
  const onnx::ModelProto m = OnnxBuilder().input("x", {int64_t{3}}).node("Relu", {"x"}, {"a"}, "same")
                                 .node("Neg", {"a"}, {"y"}, "same").output("y", {int64_t{3}}).proto();
  const std::string file = save(m);
  expect_error([&] { onnx_io::load_model(file); }, {"Neg node 'same'", "also given to a Relu", "unique"});
  // Unnamed nodes get generated names that do not collide with the given ones.
  onnx::ModelProto unnamed = OnnxBuilder().input("x", {int64_t{3}}).node("Relu", {"x"}, {"a"}, "Relu_1")
                                 .node("Relu", {"a"}, {"y"}, "tmp").output("y", {int64_t{3}}).proto();
  unnamed.mutable_graph()->mutable_node(1)->clear_name();
  const ir::Graph g = onnx_io::load_model(save(unnamed, "unnamed.onnx"));
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_NE(g.nodes[0].name, g.nodes[1].name);
}

TEST_F(OnnxRules, IrVersionsOctetCannotRead) {
  onnx::ModelProto m = relu_model();
  m.set_ir_version(99);
  std::string file = save(m);
  expect_error([&] { onnx_io::load_model(file); }, {file, "IR version 99", "1 to 10"});
  m.clear_ir_version();
  file = save(m, "none.onnx");
  expect_error([&] { onnx_io::load_model(file); }, {file, "no IR version"});
}

TEST_F(OnnxRules, OpAtAnOpsetWhereItDoesNotExist) {
  onnx::ModelProto m = OnnxBuilder(13).input("x", {int64_t{3}, int64_t{3}}).node("Trilu", {"x"}, {"y"}, "tri")
                           .output("y", {int64_t{3}, int64_t{3}}).proto();
  std::string file = save(m);
  expect_error([&] { onnx_io::load_model(file); }, {"Trilu node 'tri'", "does not exist at opset 13", "from opset 14"});
  // Upsample is deprecated from opset 10 on.
  m = OnnxBuilder(13).input("x", {int64_t{1}, int64_t{1}, int64_t{2}, int64_t{2}}).node("Upsample", {"x", "s"}, {"y"}, "up")
          .output("y", {int64_t{1}, int64_t{1}, int64_t{4}, int64_t{4}}).proto();
  add_tensor(m, "s", onnx::TensorProto::FLOAT, {4}, {1, 1, 2, 2});
  file = save(m, "up.onnx");
  expect_error([&] { onnx_io::load_model(file); }, {"Upsample node 'up'", "deprecated since opset 10"});
}

TEST_F(OnnxRules, AnEmptyGraph) {
  onnx::ModelProto m = OnnxBuilder().proto();
  const std::string file = save(m);
  expect_error([&] { onnx_io::load_model(file); }, {file, "no outputs"});
}

TEST_F(OnnxRules, AttributesAgainstTheSchema) {
  // An attribute the op does not have, one of the wrong type, a required one missing.
  onnx::ModelProto m = relu_model();
  set_int(last_node(m), "alpha", 2);
  std::string file = save(m);
  expect_error([&] { onnx_io::load_model(file); }, {"Relu node 'relu'", "schema of Relu", "Unrecognized attribute: alpha"});
  m = window_model("MaxPool");
  auto* k = last_node(m)->add_attribute();
  k->set_name("kernel_shape");
  k->set_type(AP::FLOATS);
  k->add_floats(2);
  k->add_floats(2);
  file = save(m, "floats.onnx");
  expect_error([&] { onnx_io::load_model(file); }, {"MaxPool node 'n'", "kernel_shape", "Mismatched attribute type"});
  m = window_model("MaxPool");
  file = save(m, "missing.onnx");
  expect_error([&] { onnx_io::load_model(file); }, {"MaxPool node 'n'", "Required attribute 'kernel_shape'"});
}

TEST_F(OnnxRules, ConstantWhoseValueFloatsIsTypedInts) {
  // Used to load as an empty tensor, and the model ran with a [1,0] output.
  {
    onnx::ModelProto m = relu_model();
    auto* c = m.mutable_graph()->add_node();
    c->set_op_type("Constant");
    c->set_name("c");
    c->add_output("k");
    auto* a = c->add_attribute();
    a->set_name("value_floats");
    a->set_type(AP::INTS);
    a->add_ints(1);
    a->add_ints(2);
    const std::string file = save(m);
    expect_error([&] { onnx_io::load_model(file); }, {"Constant node 'c'", "value_floats"});
  }
}

TEST_F(OnnxRules, GraphInputsOfTypesOctetDoesNotCompute) {
  // Used to end in "Relu node 'r': no kernel accepts it: ... needs an input".
  for (int32_t type : {onnx::TensorProto::BFLOAT16, onnx::TensorProto::COMPLEX64, onnx::TensorProto::STRING}) {
    const onnx::ModelProto m = OnnxBuilder().input("x", {int64_t{3}}, type).node("Relu", {"x"}, {"y"}, "r")
                                   .output("y", {int64_t{3}}).proto();
    const std::string file = save(m);
    expect_error([&] { onnx_io::load_model(file); },
                 {"graph input 'x'", onnx::TensorProto_DataType_Name(type), "not supported"});
  }
  onnx::ModelProto m = relu_model();
  m.mutable_graph()->mutable_input(0)->clear_type();
  const std::string file = save(m);
  expect_error([&] { onnx_io::load_model(file); }, {"graph input 'x'", "has no type"});
}

TEST_F(OnnxRules, ExternalDataSymlinkToItself) {
  // Used to end in "internal error: filesystem error: ... Too many levels of symbolic links".
  onnx::ModelProto m = relu_add_initializer_model({1, 3});
  auto* t = m.mutable_graph()->mutable_initializer(0);
  t->set_data_location(onnx::TensorProto::EXTERNAL);
  auto* loc = t->add_external_data();
  loc->set_key("location");
  loc->set_value("loop.bin");
  ASSERT_EQ(::symlink("loop.bin", dir_.path("loop.bin").c_str()), 0);
  const std::string file = save(m);
  expect_error([&] { onnx_io::load_model(file); }, {"initializer 'w'", "'loop.bin'", "cannot be resolved"});
}

}  // namespace
}  // namespace octet::testing
