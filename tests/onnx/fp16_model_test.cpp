// FP16 models: float16 weights and Cast nodes, as float16 converters write them, load and run
// in FP32. The trained Fashion-MNIST ResNet is converted here (weights rounded to float16,
// Casts at the graph's edges or float16 inputs and outputs), then scored against the FP32
// original on test images: the only difference left is the weights' float16 rounding.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "fixtures/temp_dir.hpp"
#include "ir/graph.hpp"
#include "octet/data.hpp"
#include "octet/engine.hpp"

namespace octet::testing {
namespace {

const std::string kModel = std::string(OCTET_SOURCE_DIR) + "/models/fmnist_resnet.onnx";

void to_float16(onnx::TensorProto& t) {
  if (t.data_type() != onnx::TensorProto::FLOAT) return;
  std::vector<float> values;
  if (t.has_raw_data()) {
    values.resize(t.raw_data().size() / sizeof(float));
    std::memcpy(values.data(), t.raw_data().data(), t.raw_data().size());
  } else {
    values.assign(t.float_data().begin(), t.float_data().end());
  }
  std::string raw(values.size() * 2, '\0');
  for (size_t i = 0; i < values.size(); ++i) {
    const uint16_t h = float_to_half(values[i]);
    std::memcpy(&raw[2 * i], &h, 2);
  }
  t.clear_float_data();
  t.set_raw_data(raw);
  t.set_data_type(onnx::TensorProto::FLOAT16);
}

onnx::NodeProto cast(const std::string& in, const std::string& out, int to) {
  onnx::NodeProto n;
  n.set_op_type("Cast");
  n.set_name(out + "_cast");
  n.add_input(in);
  n.add_output(out);
  auto* a = n.add_attribute();
  a->set_name("to");
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(to);
  return n;
}

// The model with float16 weights. keep_io_types: float32 input and output with a Cast after the
// input and before the output (what converters do by default); otherwise the graph's input and
// output are float16 themselves.
std::string write_fp16_model(const std::string& path, bool keep_io_types) {
  onnx::ModelProto m;
  {
    std::ifstream in(kModel, std::ios::binary);
    if (!m.ParseFromIstream(&in)) throw std::runtime_error("cannot parse " + kModel);
  }
  onnx::GraphProto& g = *m.mutable_graph();
  for (auto& t : *g.mutable_initializer()) to_float16(t);
  for (auto& n : *g.mutable_node())
    for (auto& a : *n.mutable_attribute())
      if (a.has_t()) to_float16(*a.mutable_t());
  g.clear_value_info();
  const std::string input = g.input(0).name(), output = g.output(0).name();
  for (auto& n : *g.mutable_node()) {
    for (auto& i : *n.mutable_input())
      if (i == input) i = input + "_fp16";
    for (auto& o : *n.mutable_output())
      if (o == output) o = output + "_fp16";
  }
  if (keep_io_types) {
    *g.add_node() = cast(input, input + "_fp16", onnx::TensorProto::FLOAT16);
    *g.add_node() = cast(output + "_fp16", output, onnx::TensorProto::FLOAT);
  } else {
    // float16 in and out: the edges are renamed back instead of cast.
    for (auto& n : *g.mutable_node()) {
      for (auto& i : *n.mutable_input())
        if (i == input + "_fp16") i = input;
      for (auto& o : *n.mutable_output())
        if (o == output + "_fp16") o = output;
    }
    g.mutable_input(0)->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT16);
    g.mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(onnx::TensorProto::FLOAT16);
  }
  // Nodes in topological order: the input Cast first, the output Cast last.
  if (keep_io_types) {
    auto* nodes = g.mutable_node();
    std::rotate(nodes->begin(), nodes->end() - 2, nodes->end() - 1);
  }
  std::ofstream out(path, std::ios::binary);
  m.SerializeToOstream(&out);
  return path;
}

class Fp16Model : public ::testing::TestWithParam<bool> {};

TEST_P(Fp16Model, RunsInFp32AndAgreesWithTheOriginal) {
  ScopedTempDir dir("octet-fp16");
  const Model fp16 = Model::load(write_fp16_model(dir.path("fp16.onnx"), GetParam()));
  EXPECT_EQ(fp16.inputs().at(0).dtype, DType::kFloat32) << "float16 computes as float32";
  for (const ir::Value& v : fp16.graph().values) {
    if (v.is_constant()) EXPECT_NE(v.data->dtype, DType::kFloat16) << v.name;
  }

  const Model fp32 = Model::load(kModel);
  CompileOptions options;
  options.threads = 2;
  CompiledModel a = CompiledModel::compile(fp32, options), b = CompiledModel::compile(fp16, options);
  const auto test = open_dataset("fashion-mnist:test", "", Preprocess::from_model(fp32));
  size_t agree = 0;
  double worst = 0;
  const size_t n = 500;
  for (size_t i = 0; i < n; ++i) {
    const std::vector<Tensor> x = test->sample(i).inputs;
    const Tensor ya = a.run(x).at(0), yb = b.run(x).at(0);
    ASSERT_EQ(yb.dtype, DType::kFloat32);
    const float* pa = ya.data<float>();
    const float* pb = yb.data<float>();
    const auto k = ya.numel();
    const float range = *std::max_element(pa, pa + k) - *std::min_element(pa, pa + k);
    for (int64_t j = 0; j < k; ++j) worst = std::max(worst, std::abs(static_cast<double>(pa[j] - pb[j])) / range);
    agree += std::max_element(pa, pa + k) == pa + (std::max_element(pb, pb + k) - pb);
  }
  RecordProperty("max_relative_logit_difference", std::to_string(worst));
  // Float16 weights carry 11 significant bits: the logits moved by 1.8e-3 of their range.
  EXPECT_LT(worst, 0.01);
  EXPECT_GE(agree, n - 3) << "top-1 agreement with the FP32 original on " << n << " test images";
}

INSTANTIATE_TEST_SUITE_P(IoTypes, Fp16Model, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return std::string(info.param ? "Float32IoWithCasts" : "Float16Io");
                         });

}  // namespace
}  // namespace octet::testing
