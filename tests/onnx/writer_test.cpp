// The ONNX writer: load -> save -> load round trips over ONNX's node and PyTorch test models
// (same nodes, values, weights bit-exact, and ONNX's checker accepts every file), external
// data with a tiny threshold, the lowering of FusedConv/FullyConnected to standard ops (checked
// by ONNX's full checker and by running both graphs), the opset raise for per-axis QDQ, and
// the refusals.
#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "octet/error.hpp"
#include "onnx/loader.hpp"
#include "onnx/writer.hpp"
#include "passes/graph_eval.hpp"

namespace octet {
namespace {

namespace fs = std::filesystem;
using ir::Attribute;
using ir::OpKind;

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("octet_writer_test_" + std::to_string(getpid()));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

onnx::ModelProto read_proto(const fs::path& path) {
  onnx::ModelProto m;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(m.ParseFromIstream(&in)) << path;
  return m;
}

// ONNX's checker plus its strict shape inference, which also checks that the shapes and types
// the writer put in value_info agree with ONNX's own.
void full_check(const fs::path& path) {
  onnx::ModelProto m = read_proto(path);
  onnx::checker::check_model(m);
  onnx::shape_inference::InferShapes(m, onnx::OpSchemaRegistry::Instance(),
                                     onnx::ShapeInferenceOptions(/*check_type=*/true, /*error_mode=*/1));
}

std::string diff_graphs(const ir::Graph& a, const ir::Graph& b);

bool same_attr(const Attribute& a, const Attribute& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Attribute::Kind::kInt: return a.i == b.i;
    case Attribute::Kind::kFloat: return std::memcmp(&a.f, &b.f, sizeof(float)) == 0;
    case Attribute::Kind::kString: return a.s == b.s;
    case Attribute::Kind::kInts: return a.ints == b.ints;
    case Attribute::Kind::kFloats: return a.floats == b.floats;
    case Attribute::Kind::kStrings: return a.strings == b.strings;
    case Attribute::Kind::kTensor:
      return a.tensor->dtype == b.tensor->dtype && a.tensor->shape == b.tensor->shape && a.tensor->bytes == b.tensor->bytes;
    case Attribute::Kind::kGraph: return diff_graphs(*a.graph, *b.graph).empty();
  }
  return false;
}

// "" when the graphs are the same model, else the first difference.
std::string diff_graphs(const ir::Graph& a, const ir::Graph& b) {
  if (a.opset != b.opset) return cat("opset ", a.opset, " vs ", b.opset);
  if (a.metadata != b.metadata) return "metadata";
  if (a.nodes.size() != b.nodes.size()) return cat(a.nodes.size(), " vs ", b.nodes.size(), " nodes");
  auto name = [](const ir::Graph& g, ir::ValueId v) { return v == ir::kNoValue ? std::string() : g.value(v).name; };
  for (size_t n = 0; n < a.nodes.size(); ++n) {
    const ir::Node &x = a.nodes[n], &y = b.nodes[n];
    if (x.op != y.op || x.name != y.name) return cat("node ", n, ": ", x.describe(), " vs ", y.describe());
    // Trailing omitted inputs are not written.
    const size_t ins = std::max(x.inputs.size(), y.inputs.size());
    for (size_t i = 0; i < ins; ++i)
      if (name(a, x.input(i)) != name(b, y.input(i))) return cat(x.describe(), ": input ", i);
    for (size_t i = 0; i < std::max(x.outputs.size(), y.outputs.size()); ++i) {
      const ir::ValueId ox = i < x.outputs.size() ? x.outputs[i] : ir::kNoValue;
      const ir::ValueId oy = i < y.outputs.size() ? y.outputs[i] : ir::kNoValue;
      if (name(a, ox) != name(b, oy)) return cat(x.describe(), ": output ", i);
    }
    if (x.captures != y.captures) return cat(x.describe(), ": ", x.captures, " vs ", y.captures, " captured values");
    if (x.attrs.size() != y.attrs.size()) return cat(x.describe(), ": attribute count");
    for (const auto& [k, v] : x.attrs)
      if (!y.attrs.count(k) || !same_attr(v, y.attrs.at(k))) return cat(x.describe(), ": attribute ", k);
  }
  // Values by name: the loader numbers Constant-node values after the inputs, initializers
  // (what they become when written) before them.
  if (a.values.size() != b.values.size()) return cat(a.values.size(), " vs ", b.values.size(), " values");
  std::map<std::string, const ir::Value*> by_name;
  for (const ir::Value& y : b.values) by_name[y.name] = &y;
  for (const ir::Value& x : a.values) {
    auto it = by_name.find(x.name);
    if (it == by_name.end()) return cat("value '", x.name, "' is missing");
    const ir::Value& y = *it->second;
    if (x.dtype != y.dtype || x.has_shape != y.has_shape || x.shape != y.shape)
      return cat("value '", x.name, "' ", dtype_name(x.dtype), shape_str(x.shape), " vs ", dtype_name(y.dtype),
                 shape_str(y.shape));
    if (x.is_constant() != y.is_constant()) return cat("value '", x.name, "' constness");
    if (x.is_constant() && x.data->bytes != y.data->bytes) return cat("value '", x.name, "' weights differ");
  }
  auto names = [](const ir::Graph& g, const std::vector<ir::ValueId>& ids) {
    std::vector<std::string> r;
    for (ir::ValueId v : ids) r.push_back(g.value(v).name);
    return r;
  };
  if (names(a, a.inputs) != names(b, b.inputs) || names(a, a.outputs) != names(b, b.outputs))
    return "graph inputs or outputs";
  return "";
}

TEST(Writer, RoundTripOfOnnxTestModels) {
  TempDir tmp;
  int saved = 0, skipped = 0;
  for (const char* dir : {"/usr/share/libonnx-testdata/data/node", "/usr/share/libonnx-testdata/data/pytorch-converted"}) {
    ASSERT_TRUE(fs::is_directory(dir)) << dir;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const fs::path model = entry.path() / "model.onnx";
      ir::Graph g;
      try {
        g = onnx_io::load_model(model.string());
      } catch (const Error&) {
        ++skipped;  // op or dtype octet does not load
        continue;
      }
      bool undefined = false;
      for (const ir::Value& v : g.values) undefined = undefined || (v.dtype == DType::kUndefined && v.producer == ir::kNoNode);
      if (undefined) { ++skipped; continue; }
      const fs::path out = tmp.path / "m.onnx";
      ASSERT_NO_THROW(onnx_io::save_model(g, out.string())) << model;
      try {
        onnx::checker::check_model(read_proto(out));
      } catch (const std::exception& e) {
        ADD_FAILURE() << model << ": ONNX checker: " << e.what();
      }
      const ir::Graph back = onnx_io::load_model(out.string());
      EXPECT_EQ(diff_graphs(g, back), "") << model;
      ++saved;
    }
  }
  std::cout << "[writer round trip] " << saved << " models saved and reloaded, " << skipped << " not loadable\n";
  EXPECT_GT(saved, 500);
}

ir::Graph small_graph() {
  testing::GraphBuilder b;
  const auto x = b.input("x", {1, 8, 6, 6});
  const auto c = b.node(OpKind::Conv, {x, b.random("w1", {16, 8, 3, 3}), b.random("b1", {16})},
                        {{"pads", Attribute::make_ints({1, 1, 1, 1})}});
  const auto y = b.node(OpKind::Conv, {b.node(OpKind::Relu, {c}), b.random("w2", {8, 16, 3, 3}), b.random("b2", {8})},
                        {{"pads", Attribute::make_ints({1, 1, 1, 1})}});
  b.output(b.node(OpKind::Add, {y, x}));
  b.g.metadata["author"] = "octet test";
  return b.finish();
}

TEST(Writer, ExternalDataWithATinyThreshold) {
  TempDir tmp;
  const ir::Graph g = small_graph();
  const fs::path out = tmp.path / "ext.onnx";
  onnx_io::SaveOptions options;
  options.external_threshold = 1;
  onnx_io::save_model(g, out.string(), options);
  ASSERT_TRUE(fs::exists(tmp.path / "ext.onnx.data"));
  const onnx::ModelProto m = read_proto(out);
  int external = 0;
  for (const auto& init : m.graph().initializer()) {
    if (init.data_location() != onnx::TensorProto::EXTERNAL) {
      EXPECT_LT(init.raw_data().size(), 1024u) << init.name();  // small ones stay inline
      continue;
    }
    ++external;
    for (const auto& kv : init.external_data()) {
      if (kv.key() == "location") EXPECT_EQ(kv.value(), "ext.onnx.data");
      if (kv.key() == "offset") EXPECT_EQ(std::stoll(kv.value()) % 4096, 0) << init.name();
    }
  }
  EXPECT_EQ(external, 2);  // w1 and w2 (4.6 KB each)
  EXPECT_NO_THROW(onnx::checker::check_model(out.string()));
  EXPECT_EQ(diff_graphs(g, onnx_io::load_model(out.string())), "");
  // The default threshold keeps everything inside.
  onnx_io::save_model(g, (tmp.path / "inline.onnx").string());
  EXPECT_FALSE(fs::exists(tmp.path / "inline.onnx.data"));
}

TEST(Writer, RefusesToOverwriteItsSourceAndInternalInt8Ops) {
  TempDir tmp;
  const fs::path src = tmp.path / "src.onnx";
  onnx_io::save_model(small_graph(), src.string());
  const ir::Graph g = onnx_io::load_model(src.string());
  EXPECT_THROW(onnx_io::save_model(g, src.string()), Error);
  testing::GraphBuilder b;
  b.output(b.node(OpKind::Reorder, {b.input("x", {1, 8, 2, 2})}));
  try {
    onnx_io::save_model(b.finish(), (tmp.path / "r.onnx").string());
    ADD_FAILURE() << "saved an internal Reorder node";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Reorder node"), std::string::npos) << e.what();
  }
}

// FusedConv and FullyConnected in every activation form, at `opset`.
ir::Graph fused_graph(int64_t opset) {
  testing::GraphBuilder b(opset);
  const auto x = b.input("x", {1, 4, 5, 5});
  auto conv = [&](ir::ValueId in, const std::string& act, float alpha, float beta, ir::ValueId sum) {
    std::vector<ir::ValueId> ins = {in, b.random("w_" + act, {4, 4, 3, 3}, -0.4f, 0.4f), b.random("b_" + act, {4})};
    if (sum != ir::kNoValue) ins.push_back(sum);
    return b.node(OpKind::FusedConv, ins,
                  {{"pads", Attribute::make_ints({1, 1, 1, 1})}, {"activation", Attribute::make_string(act)},
                   {"alpha", Attribute::make_float(alpha)}, {"beta", Attribute::make_float(beta)}},
                  "conv_" + act);
  };
  auto t = conv(x, "Relu", 0, 0, x);  // with Sum
  t = conv(t, "Clip", -0.5f, 0.5f, ir::kNoValue);
  t = conv(t, "HardSwish", 0, 0, ir::kNoValue);
  t = conv(t, "Swish", 0, 0, t);
  t = conv(t, "HardSigmoid", 0.3f, 0.4f, ir::kNoValue);
  t = conv(t, "", 0, 0, t);  // Sum, no activation
  const auto flat = b.node(OpKind::Flatten, {t});  // [1, 100]
  const auto f1 = b.node(OpKind::FullyConnected, {flat, b.random("fw1", {100, 12}, -0.2f, 0.2f), b.random("fb1", {12})},
                         {{"activation", Attribute::make_string("Gelu")}}, "fc_gelu");
  const auto f2 = b.node(OpKind::FullyConnected, {f1, b.random("fw2", {12, 6})},
                         {{"activation", Attribute::make_string("Tanh")}}, "fc_nobias");
  const auto r = b.node(OpKind::Reshape, {f2, b.ints("shape", {3}, {1, 2, 3})});
  b.output(b.node(OpKind::FullyConnected, {r, b.random("fw3", {3, 5}), b.random("fb3", {5})},
                  {{"activation", Attribute::make_string("LeakyRelu")}, {"alpha", Attribute::make_float(0.1f)}},
                  "fc_3d"));
  return b.finish();
}

void check_lowering(int64_t opset, const std::map<OpKind, int>& want_ops) {
  TempDir tmp;
  const ir::Graph g = fused_graph(opset);
  const fs::path out = tmp.path / "lowered.onnx";
  onnx_io::save_model(g, out.string());
  try {
    full_check(out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "ONNX checker (opset " << opset << "): " << e.what();
  }
  ir::Graph back = onnx_io::load_model(out.string());
  EXPECT_EQ(back.opset, opset);
  for (const ir::Node& n : back.nodes) EXPECT_FALSE(ir::op_is_internal(n.op)) << n.describe();
  for (const auto& [op, count] : want_ops) EXPECT_EQ(testing::count_ops(back, op), count) << ir::op_name(op);
  EXPECT_EQ(back.value(back.outputs[0]).name, g.value(g.outputs[0]).name);
  ir::infer_shapes(back, true);
  const auto in = testing::random_inputs(g);
  testing::expect_close(testing::evaluate_graph(back, in)[0], testing::evaluate_graph(g, in)[0]);
}

TEST(Writer, LowersFusedConvAndFullyConnectedAtOpset14) {
  check_lowering(14, {{OpKind::Conv, 6}, {OpKind::Add, 5}, {OpKind::Relu, 1}, {OpKind::Clip, 1},
                      {OpKind::HardSwish, 1}, {OpKind::Sigmoid, 1}, {OpKind::HardSigmoid, 1}, {OpKind::Gemm, 2},
                      {OpKind::MatMul, 1}, {OpKind::Erf, 1}, {OpKind::Tanh, 1}, {OpKind::LeakyRelu, 1}});
}

TEST(Writer, LowersWithOldOpsetForms) {
  // Opset 9: Clip takes min/max attributes, HardSwish is x * HardSigmoid(x), and Gemm needs C
  // (the bias-less FullyConnected becomes a MatMul).
  check_lowering(9, {{OpKind::Conv, 6}, {OpKind::HardSwish, 0}, {OpKind::HardSigmoid, 2}, {OpKind::Gemm, 1},
                     {OpKind::MatMul, 2}, {OpKind::Clip, 1}});
}

TEST(Writer, RaisesOpsetTo13ForPerAxisQdq) {
  testing::GraphBuilder b(11);
  const auto x = b.input("x", {1, 4, 3, 3});
  const auto q = b.node(OpKind::QuantizeLinear, {x, b.floats("xs", {}, {0.02f}),
                                                 b.constant("xz", Tensor::from_vector<uint8_t>(DType::kUInt8, {}, {128}))});
  const auto xd = b.node(OpKind::DequantizeLinear, {q, b.floats("xs2", {}, {0.02f}),
                                                    b.constant("xz2", Tensor::from_vector<uint8_t>(DType::kUInt8, {}, {128}))});
  std::vector<int8_t> wq(4 * 4);
  for (size_t i = 0; i < wq.size(); ++i) wq[i] = static_cast<int8_t>(static_cast<int>(i * 7 % 31) - 15);
  const auto w = b.node(OpKind::DequantizeLinear,
                        {b.constant("wq", Tensor::from_vector<int8_t>(DType::kInt8, {4, 4, 1, 1}, wq)),
                         b.floats("ws", {4}, {0.01f, 0.02f, 0.03f, 0.04f}),
                         b.constant("wz", Tensor::from_vector<int8_t>(DType::kInt8, {4}, {0, 0, 0, 0}))},
                        {{"axis", Attribute::make_int(0)}});
  const auto y = b.node(OpKind::Conv, {xd, w});
  const auto pooled = b.node(OpKind::GlobalAveragePool, {y});
  const auto sq = b.node(OpKind::Squeeze, {pooled}, {{"axes", Attribute::make_ints({2, 3})}});
  const auto parts = b.node_n(OpKind::Split, {sq}, 2, {{"axis", Attribute::make_int(1)}, {"split", Attribute::make_ints({1, 3})}});
  b.output(b.node(OpKind::Softmax, {parts[1]}, {{"axis", Attribute::make_int(1)}}));
  b.output(b.node(OpKind::ReduceSum, {parts[0]}, {{"axes", Attribute::make_ints({1})}}));
  const ir::Graph g = b.finish();
  TempDir tmp;
  const fs::path out = tmp.path / "qdq.onnx";
  onnx_io::save_model(g, out.string());
  try {
    full_check(out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "ONNX checker: " << e.what();
  }
  ir::Graph back = onnx_io::load_model(out.string());
  EXPECT_EQ(back.opset, 13);
  for (const ir::Node& n : back.nodes) {
    if (n.op == OpKind::Squeeze || n.op == OpKind::Split || n.op == OpKind::ReduceSum) {
      EXPECT_EQ(n.inputs.size(), 2u) << n.describe();
      EXPECT_TRUE(back.value(n.inputs[1]).is_constant());
      EXPECT_FALSE(n.has_attr("axes") || n.has_attr("split")) << n.describe();
    }
  }
  ir::infer_shapes(back, true);
  const auto in = testing::random_inputs(g);
  const auto want = testing::evaluate_graph(g, in), got = testing::evaluate_graph(back, in);
  for (size_t i = 0; i < want.size(); ++i) testing::expect_close(got[i], want[i]);
}

}  // namespace
}  // namespace octet
