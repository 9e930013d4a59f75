// Quantizing a model with If, Loop and LSTM: the MatMul before them becomes INT8, the
// control-flow and recurrent nodes are reported FP32 with the reason, and the written QDQ
// model reloads and runs close to the FP32 one.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "octet/engine.hpp"
#include "octet/quantize.hpp"

namespace octet {
namespace {

namespace fs = std::filesystem;
using onnx::TensorProto;

void describe(onnx::ValueInfoProto* v, const std::string& name, int32_t type, const std::vector<int64_t>& dims) {
  v->set_name(name);
  auto* tensor = v->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(type);
  auto* shape = tensor->mutable_shape();  // present even for a scalar: no shape is unknown rank
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

void add_tensor(onnx::GraphProto* g, const std::string& name, const std::vector<int64_t>& dims, std::mt19937& rng,
                float scale) {
  std::normal_distribution<float> dist(0.0f, scale);
  auto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) { t->add_dims(d); n *= d; }
  for (int64_t i = 0; i < n; ++i) t->add_float_data(dist(rng));
}

onnx::GraphProto* graph_attr(onnx::NodeProto* n, const std::string& key) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(onnx::AttributeProto::GRAPH);
  a->mutable_g()->set_name(key);
  return a->mutable_g();
}

// x[2,1,8] -> MatMul -> m -> If(flag: Relu | Neg) -> Loop(2 times: acc += m) -> LSTM -> Y_h[1,1,4]
std::string model_bytes() {
  std::mt19937 rng(3);
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("cf");
  describe(g->add_input(), "x", TensorProto::FLOAT, {2, 1, 8});
  describe(g->add_input(), "flag", TensorProto::BOOL, {});
  describe(g->add_output(), "Y_h", TensorProto::FLOAT, {1, 1, 4});
  add_tensor(g, "w", {8, 8}, rng, 0.5f);
  add_tensor(g, "W", {1, 16, 8}, rng, 0.3f);
  add_tensor(g, "R", {1, 16, 4}, rng, 0.3f);
  auto* trips = g->add_initializer();
  trips->set_name("trips");
  trips->set_data_type(TensorProto::INT64);
  trips->add_int64_data(2);
  add_node(g, "MatMul", {"x", "w"}, {"m"});
  auto* branch = add_node(g, "If", {"flag"}, {"z"});
  auto* then_g = graph_attr(branch, "then_branch");
  add_node(then_g, "Relu", {"m"}, {"pos"});
  describe(then_g->add_output(), "pos", TensorProto::FLOAT, {2, 1, 8});
  auto* else_g = graph_attr(branch, "else_branch");
  add_node(else_g, "Neg", {"m"}, {"neg"});
  describe(else_g->add_output(), "neg", TensorProto::FLOAT, {2, 1, 8});
  auto* loop = add_node(g, "Loop", {"trips", "", "z"}, {"acc_final"});
  auto* body = graph_attr(loop, "body");
  describe(body->add_input(), "i", TensorProto::INT64, {});
  describe(body->add_input(), "c", TensorProto::BOOL, {});
  describe(body->add_input(), "acc", TensorProto::FLOAT, {2, 1, 8});
  describe(body->add_output(), "c_out", TensorProto::BOOL, {});
  describe(body->add_output(), "acc_out", TensorProto::FLOAT, {2, 1, 8});
  add_node(body, "Identity", {"c"}, {"c_out"});
  add_node(body, "Add", {"acc", "m"}, {"acc_out"});
  auto* lstm = add_node(g, "LSTM", {"acc_final", "W", "R"}, {"", "Y_h"});
  auto* hs = lstm->add_attribute();
  hs->set_name("hidden_size");
  hs->set_type(onnx::AttributeProto::INT);
  hs->set_i(4);
  return m.SerializeAsString();
}

std::vector<Tensor> sample(size_t i) {
  std::mt19937 rng(static_cast<unsigned>(100 + i));
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(16);
  for (float& v : x) v = dist(rng);
  Tensor flag(DType::kBool, {});
  flag.bytes[0] = i % 2;
  return {Tensor::from_vector<float>(DType::kFloat32, {2, 1, 8}, x), flag};
}

TEST(ControlFlowQuantization, BodiesAndRecurrentLayersStayFp32) {
  const fs::path dir = fs::temp_directory_path() / ("octet_cf_quant_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "cf.onnx", std::ios::binary) << model_bytes();
  const Model model = Model::load((dir / "cf.onnx").string());
  QuantizeOptions options;
  options.threads = 1;
  options.report_subset_size = 0;
  const QuantizeResult result = quantize(model, SampleSource{16, sample}, options);
  std::map<std::string, const LayerQuantReport*> by_op;
  for (const LayerQuantReport& l : result.report.layers) by_op[l.op] = &l;
  ASSERT_TRUE(by_op.count("If") && by_op.count("Loop") && by_op.count("LSTM"));
  EXPECT_FALSE(by_op["If"]->quantized);
  EXPECT_NE(by_op["If"]->reason.find("FP32"), std::string::npos) << by_op["If"]->reason;
  EXPECT_FALSE(by_op["Loop"]->quantized);
  EXPECT_FALSE(by_op["LSTM"]->quantized);
  EXPECT_NE(by_op["LSTM"]->reason.find("FP32"), std::string::npos) << by_op["LSTM"]->reason;
  bool matmul_int8 = false;
  for (const LayerQuantReport& l : result.report.layers) matmul_int8 = matmul_int8 || (l.quantized && l.op != "If");
  EXPECT_TRUE(matmul_int8) << "the MatMul before the control flow is quantized";
  // The QDQ model written, read back and run: close to FP32 on both branches.
  result.model.save((dir / "cf_int8.onnx").string());
  CompileOptions compile;
  compile.threads = 1;
  CompiledModel fp32 = CompiledModel::compile(model, compile);
  CompiledModel int8 = CompiledModel::compile(Model::load((dir / "cf_int8.onnx").string()), compile);
  for (size_t i = 100; i < 104; ++i) {
    const Tensor a = fp32.run(sample(i)).at(0), b = int8.run(sample(i)).at(0);
    const float* pa = reinterpret_cast<const float*>(a.bytes.data());
    const float* pb = reinterpret_cast<const float*>(b.bytes.data());
    double dot = 0, na = 0, nb = 0;
    for (int64_t k = 0; k < a.numel(); ++k) { dot += pa[k] * pb[k]; na += pa[k] * pa[k]; nb += pb[k] * pb[k]; }
    EXPECT_GT(dot / std::sqrt(na * nb + 1e-30), 0.99) << "sample " << i;
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace octet
