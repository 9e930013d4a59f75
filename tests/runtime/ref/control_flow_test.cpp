// If, Loop and Scan with subgraphs that read outer-scope values (through a nested If inside a
// Loop body), through the optimizing passes and a write/reload; RNN-family direction and
// sequence-length rules checked against each other. The ONNX node tests (conformance/) cover
// each op's reference outputs; these cover what they do not: captures, nesting, the passes.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "ir/graph.hpp"
#include "octet/engine.hpp"
#include "onnx/loader.hpp"

namespace octet {
namespace {

namespace fs = std::filesystem;
using onnx::TensorProto;

void describe(onnx::ValueInfoProto* v, const std::string& name, int32_t type, const std::vector<int64_t>& dims) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(type);
  auto* shape = t->mutable_shape();
  for (int64_t d : dims) shape->add_dim()->set_dim_value(d);
}

onnx::NodeProto* add_node(onnx::GraphProto* g, const std::string& op, const std::vector<std::string>& in,
                          const std::vector<std::string>& out) {
  auto* n = g->add_node();
  n->set_op_type(op);
  n->set_name(op + "_" + out.at(0));
  for (const auto& i : in) n->add_input(i);
  for (const auto& o : out) n->add_output(o);
  return n;
}

void add_floats(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims,
                const std::vector<float>& values) {
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
}

onnx::GraphProto* graph_attr(onnx::NodeProto* n, const std::string& key) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(onnx::AttributeProto::GRAPH);
  a->mutable_g()->set_name(key);
  return a->mutable_g();
}

struct TempFile {
  fs::path path;
  explicit TempFile(const std::string& name)
      : path(fs::temp_directory_path() / (name + "_" + std::to_string(getpid()) + ".onnx")) {}
  ~TempFile() {
    std::error_code ec;
    fs::remove(path, ec);
  }
};

// acc = x; repeat n times: acc = flag ? acc + relu(x) : acc - w. relu(x) and w live in the main
// graph and are read only inside the If nested in the Loop body.
onnx::ModelProto nested_model() {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("nested");
  describe(g->add_input(), "x", TensorProto::FLOAT, {3});
  describe(g->add_input(), "n", TensorProto::INT64, {});
  describe(g->add_input(), "flag", TensorProto::BOOL, {});
  describe(g->add_output(), "acc_final", TensorProto::FLOAT, {3});
  add_floats(g, "w", {3}, {1, 2, 3});
  add_node(g, "Relu", {"x"}, {"r"});
  auto* loop = add_node(g, "Loop", {"n", "", "x"}, {"acc_final"});
  auto* body = graph_attr(loop, "body");
  describe(body->add_input(), "i", TensorProto::INT64, {});
  describe(body->add_input(), "c", TensorProto::BOOL, {});
  describe(body->add_input(), "acc", TensorProto::FLOAT, {3});
  describe(body->add_output(), "c_out", TensorProto::BOOL, {});
  describe(body->add_output(), "acc_out", TensorProto::FLOAT, {3});
  add_node(body, "Identity", {"c"}, {"c_out"});
  auto* branch = add_node(body, "If", {"flag"}, {"acc_out"});
  auto* then_g = graph_attr(branch, "then_branch");
  add_node(then_g, "Add", {"acc", "r"}, {"plus"});
  describe(then_g->add_output(), "plus", TensorProto::FLOAT, {3});
  auto* else_g = graph_attr(branch, "else_branch");
  add_node(else_g, "Sub", {"acc", "w"}, {"minus"});
  describe(else_g->add_output(), "minus", TensorProto::FLOAT, {3});
  return m;
}

std::vector<float> run_nested(const Model& model, bool flag, bool optimize) {
  CompileOptions options;
  options.threads = 1;
  options.optimize = optimize;
  CompiledModel compiled = CompiledModel::compile(model, options);
  Tensor x = Tensor::from_vector<float>(DType::kFloat32, {3}, {-1.0f, 0.5f, 2.0f});
  Tensor n = Tensor::from_vector<int64_t>(DType::kInt64, {}, {3});
  Tensor f(DType::kBool, {});
  f.bytes[0] = flag ? 1 : 0;
  const Tensor y = compiled.run(std::vector<Tensor>{x, n, f}).at(0);
  const float* p = reinterpret_cast<const float*>(y.bytes.data());
  return {p, p + 3};
}

TEST(ControlFlow, NestedSubgraphsReadOuterScopeValues) {
  TempFile file("octet_nested");
  {
    std::string bytes;
    ASSERT_TRUE(nested_model().SerializeToString(&bytes));
    std::ofstream(file.path, std::ios::binary) << bytes;
  }
  const Model model = Model::load(file.path.string());
  // The Loop captures flag, r and w for its body (the If in it reads all three); the If
  // captures acc, r and w (flag is its own condition input).
  const ir::Graph& g = model.graph();
  ASSERT_EQ(g.nodes.size(), 2u);
  const ir::Node& loop = g.nodes[1];
  EXPECT_EQ(loop.op, ir::OpKind::Loop);
  EXPECT_EQ(loop.captures, 3);
  const ir::Graph& body = loop.subgraph("body");
  EXPECT_EQ(body.inputs.size(), 6u);  // i, c, acc, then flag, r and w
  const ir::Node& branch = body.nodes.at(body.nodes[0].op == ir::OpKind::If ? 0 : 1);
  EXPECT_EQ(branch.captures, 3);
  // x + 3 relu(x) and x - 3 w, unoptimized and through the passes (which must keep Relu: only
  // the bodies read it).
  for (bool optimize : {false, true}) {
    EXPECT_EQ(run_nested(model, true, optimize), (std::vector<float>{-1.0f, 2.0f, 8.0f})) << optimize;
    EXPECT_EQ(run_nested(model, false, optimize), (std::vector<float>{-4.0f, -5.5f, -7.0f})) << optimize;
  }
  // Written back as standard ONNX (implicit outer-scope names) and read again, it runs the same.
  TempFile copy("octet_nested_copy");
  model.save(copy.path.string());
  onnx::ModelProto written;
  std::ifstream in(copy.path, std::ios::binary);
  ASSERT_TRUE(written.ParseFromIstream(&in));
  const onnx::NodeProto& written_loop = written.graph().node(1);
  EXPECT_EQ(written_loop.input_size(), 3);  // n, "", x: the captures are implicit again
  EXPECT_EQ(written_loop.attribute(0).g().input_size(), 3);
  const Model reloaded = Model::load(copy.path.string());
  EXPECT_EQ(run_nested(reloaded, true, true), (std::vector<float>{-1.0f, 2.0f, 8.0f}));
}

TEST(ControlFlow, RefusesAnOuterNameNoScopeDefines) {
  onnx::ModelProto m = nested_model();
  auto* then_g = m.mutable_graph()->mutable_node(1)->mutable_attribute(0)->mutable_g()->mutable_node(1)
                     ->mutable_attribute(0)->mutable_g();
  then_g->mutable_node(0)->set_input(1, "nowhere");
  try {
    onnx_io::load_model_from_bytes(m.SerializeAsString(), "nested.onnx");
    FAIL() << "loaded a subgraph reading an undefined name";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("nowhere"), std::string::npos) << what;
    EXPECT_NE(what.find("nested.onnx"), std::string::npos) << what;
  }
}

// y = y + 1 per iteration, each y stacked into res_scan, declared [5, 1]: a static shape
// octet compiles for 5 iterations. Run for 3, it must stop naming the node, not write short.
Model counting_loop_model(const fs::path& path) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("counting");
  describe(g->add_input(), "trips", TensorProto::INT64, {});
  describe(g->add_input(), "y", TensorProto::FLOAT, {1});
  describe(g->add_output(), "res_y", TensorProto::FLOAT, {1});
  describe(g->add_output(), "res_scan", TensorProto::FLOAT, {5, 1});
  auto* loop = add_node(g, "Loop", {"trips", "", "y"}, {"res_y", "res_scan"});
  auto* body = graph_attr(loop, "body");
  describe(body->add_input(), "i", TensorProto::INT64, {});
  describe(body->add_input(), "c", TensorProto::BOOL, {});
  describe(body->add_input(), "y_in", TensorProto::FLOAT, {1});
  describe(body->add_output(), "c_out", TensorProto::BOOL, {});
  describe(body->add_output(), "y_out", TensorProto::FLOAT, {1});
  describe(body->add_output(), "scan_out", TensorProto::FLOAT, {1});
  add_floats(body, "one", {1}, {1.0f});
  add_node(body, "Identity", {"c"}, {"c_out"});
  add_node(body, "Add", {"y_in", "one"}, {"y_out"});
  add_node(body, "Identity", {"y_out"}, {"scan_out"});
  std::string bytes;
  EXPECT_TRUE(m.SerializeToString(&bytes));
  std::ofstream(path, std::ios::binary) << bytes;
  return Model::load(path.string());
}

TEST(ControlFlow, LoopRunningOtherThanItsCompiledTripsIsRefused) {
  TempFile file("octet_counting_loop");
  CompileOptions options;
  options.threads = 1;
  CompiledModel compiled = CompiledModel::compile(counting_loop_model(file.path), options);
  const Tensor y = Tensor::from_vector<float>(DType::kFloat32, {1}, {0.0f});
  const auto five = compiled.run(std::vector<Tensor>{Tensor::from_vector<int64_t>(DType::kInt64, {}, {5}), y});
  const float* stacked = reinterpret_cast<const float*>(five.at(1).bytes.data());
  EXPECT_EQ(std::vector<float>(stacked, stacked + 5), (std::vector<float>{1, 2, 3, 4, 5}));
  try {
    compiled.run(std::vector<Tensor>{Tensor::from_vector<int64_t>(DType::kInt64, {}, {3}), y});
    FAIL() << "ran 3 iterations into an output compiled for 5";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Loop node"), std::string::npos) << what;
    EXPECT_NE(what.find("ran 3 iterations"), std::string::npos) << what;
  }
}

// ONNX's test_loop11 slices x[i:i+1] in its body: a shape that depends on the iteration
// number, which octet (one static plan per body) cannot compile. It must say so, naming the
// node, the body and the value.
TEST(ControlFlow, BodyWithIterationDependentShapesIsRefusedClearly) {
  const std::string path = "/usr/share/libonnx-testdata/data/node/test_loop11/model.onnx";
  if (!fs::exists(path)) GTEST_SKIP() << path << " is missing (apt-get install libonnx-testdata)";
  CompileOptions options;
  options.threads = 1;
  try {
    CompiledModel::compile(Model::load(path), options);
    FAIL() << "compiled a body whose Slice has a dynamic shape";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Loop node 'Loop_0'"), std::string::npos) << what;
    EXPECT_NE(what.find("loop_body"), std::string::npos) << what;
    EXPECT_NE(what.find("slice_out"), std::string::npos) << what;
    EXPECT_NE(what.find("not supported"), std::string::npos) << what;
  }
}

// A recurrent model of one node; `direction` and W/R/B sliced to the directions it needs.
Model recurrent_model(const std::string& op, const std::string& direction, int64_t T, int64_t B, int64_t I,
                      int64_t H, const std::vector<float>& w, const std::vector<float>& r, const std::vector<float>& b,
                      bool with_lens) {
  const int64_t gates = op == "LSTM" ? 4 : op == "GRU" ? 3 : 1;
  const int64_t D = direction == "bidirectional" ? 2 : 1;
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(14);
  auto* g = m.mutable_graph();
  g->set_name("rnn");
  describe(g->add_input(), "X", TensorProto::FLOAT, {T, B, I});
  if (with_lens) describe(g->add_input(), "lens", TensorProto::INT32, {B});
  describe(g->add_output(), "Y", TensorProto::FLOAT, {T, D, B, H});
  describe(g->add_output(), "Y_h", TensorProto::FLOAT, {D, B, H});
  add_floats(g, "W", {D, gates * H, I}, w);
  add_floats(g, "R", {D, gates * H, H}, r);
  add_floats(g, "B", {D, 2 * gates * H}, b);
  auto* n = add_node(g, op, {"X", "W", "R", "B", with_lens ? "lens" : ""}, {"Y", "Y_h"});
  auto* a = n->add_attribute();
  a->set_name("direction");
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(direction);
  auto* hs = n->add_attribute();
  hs->set_name("hidden_size");
  hs->set_type(onnx::AttributeProto::INT);
  hs->set_i(H);
  TempFile file("octet_rnn");
  std::ofstream(file.path, std::ios::binary) << m.SerializeAsString();
  return Model::load(file.path.string());
}

std::vector<float> random_floats(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Bidirectional = forward with the first weights + reverse with the second; reverse over a
// batch row of length L = forward over that row's first L steps reversed.
TEST(ControlFlow, RecurrentDirectionsAndSequenceLengthsAgree) {
  const int64_t T = 5, B = 2, I = 3, H = 4;
  for (const std::string op : {"RNN", "GRU", "LSTM"}) {
    const int64_t G = (op == "LSTM" ? 4 : op == "GRU" ? 3 : 1) * H;
    std::mt19937 rng(7);
    const auto w = random_floats(static_cast<size_t>(2 * G * I), rng), r = random_floats(static_cast<size_t>(2 * G * H), rng);
    const auto b = random_floats(static_cast<size_t>(4 * G), rng);
    auto half = [](const std::vector<float>& v, int d) {
      return std::vector<float>(v.begin() + static_cast<long>(d * v.size() / 2), v.begin() + static_cast<long>((d + 1) * v.size() / 2));
    };
    const std::vector<int32_t> lens = {5, 3};
    Tensor x = Tensor::from_vector<float>(DType::kFloat32, {T, B, I}, random_floats(static_cast<size_t>(T * B * I), rng));
    Tensor len = Tensor::from_vector<int32_t>(DType::kInt32, {B}, lens);
    CompileOptions options;
    options.threads = 1;
    auto run = [&](const Model& model, const Tensor& input) {
      return CompiledModel::compile(model, options).run(std::vector<Tensor>{input, len});
    };
    const auto bi = run(recurrent_model(op, "bidirectional", T, B, I, H, w, r, b, true), x);
    const auto fw = run(recurrent_model(op, "forward", T, B, I, H, half(w, 0), half(r, 0), half(b, 0), true), x);
    const auto rv = run(recurrent_model(op, "reverse", T, B, I, H, half(w, 1), half(r, 1), half(b, 1), true), x);
    // X with each row's first lens[b] steps reversed, run forward with the second weights.
    Tensor flipped = x;
    float* fp = reinterpret_cast<float*>(flipped.bytes.data());
    const float* xp = reinterpret_cast<const float*>(x.bytes.data());
    for (int64_t bb = 0; bb < B; ++bb)
      for (int64_t t = 0; t < lens[static_cast<size_t>(bb)]; ++t)
        for (int64_t i = 0; i < I; ++i)
          fp[(t * B + bb) * I + i] = xp[((lens[static_cast<size_t>(bb)] - 1 - t) * B + bb) * I + i];
    const auto ff = run(recurrent_model(op, "forward", T, B, I, H, half(w, 1), half(r, 1), half(b, 1), true), flipped);
    auto Y = [](const std::vector<Tensor>& out, int64_t D, int64_t t, int64_t d, int64_t bb, int64_t j) {
      return reinterpret_cast<const float*>(out[0].bytes.data())[((t * D + d) * 2 + bb) * 4 + j];
    };
    auto Yh = [](const std::vector<Tensor>& out, int64_t d, int64_t bb, int64_t j) {
      return reinterpret_cast<const float*>(out[1].bytes.data())[(d * 2 + bb) * 4 + j];
    };
    for (int64_t bb = 0; bb < B; ++bb) {
      const int64_t L = lens[static_cast<size_t>(bb)];
      for (int64_t j = 0; j < H; ++j) {
        EXPECT_FLOAT_EQ(Yh(bi, 0, bb, j), Yh(fw, 0, bb, j)) << op;
        EXPECT_FLOAT_EQ(Yh(bi, 1, bb, j), Yh(rv, 0, bb, j)) << op;
        EXPECT_FLOAT_EQ(Yh(rv, 0, bb, j), Yh(ff, 0, bb, j)) << op;
        for (int64_t t = 0; t < T; ++t) {
          EXPECT_FLOAT_EQ(Y(bi, 2, t, 0, bb, j), Y(fw, 1, t, 0, bb, j)) << op;
          EXPECT_FLOAT_EQ(Y(bi, 2, t, 1, bb, j), Y(rv, 1, t, 0, bb, j)) << op;
          if (t < L) {
            EXPECT_FLOAT_EQ(Y(rv, 1, t, 0, bb, j), Y(ff, 1, L - 1 - t, 0, bb, j)) << op;
          } else {
            EXPECT_EQ(Y(rv, 1, t, 0, bb, j), 0.0f) << op << " past the length";
          }
        }
      }
      // The forward state of a shortened row is its output at its last step.
      for (int64_t j = 0; j < H; ++j) EXPECT_FLOAT_EQ(Yh(fw, 0, bb, j), Y(fw, 1, L - 1, 0, bb, j)) << op;
    }
  }
}

}  // namespace
}  // namespace octet
