// The QDQ contract, row by row: for every row of ir/qdq/int8_patterns.def, a probe model puts
// the row's anchor (the node named "anchor") between INT8 layers; octet's DefaultQuantization
// quantizes it, and the QDQ file, loaded and compiled as a user would, must run the anchor as
// the row's INT8 op on quantized data, with no Q/DQ left but the graph input's. A new row
// without a probe here fails, so each pattern the quantizer may emit is one the engine folds.
#include <gtest/gtest.h>

#include <optional>

#include "fixtures/onnx_builder.hpp"
#include "ir/qdq/int8_patterns.hpp"
#include "octet/engine.hpp"
#include "octet/quantize.hpp"
#include "passes/fold_qdq.hpp"
#include "quant/quant_test_util.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;

// x [1,4,6,6] -> Conv 3x3 (8) "head" -> Relu -> h, the INT8 input every probe starts from;
// `body` adds the anchor and whatever brings its output to a tail layer.
class ProbeBuilder {
 public:
  ProbeBuilder() {
    b.input("x", {1, 4, 6, 6}).output_unshaped("y");
    conv("x", "head", 8, 4, 3, "h0");
    b.node("Relu", {"h0"}, {"h"}, "head_relu");
  }
  // A 3x3 (or 1x1) convolution `name` from `in` (c_in channels) to `out` (c_out channels).
  ProbeBuilder& conv(const std::string& in, const std::string& name, int64_t c_out, int64_t c_in, int64_t k,
                     const std::string& out) {
    weights(name + "_w", {c_out, c_in, k, k});
    weights(name + "_b", {c_out});
    b.node("Conv", {in, name + "_w", name + "_b"}, {out}, name).attr("pads", std::vector<int64_t>(4, k / 2));
    return *this;
  }
  void weights(const std::string& name, const std::vector<int64_t>& dims) {
    int64_t n = 1;
    for (int64_t d : dims) n *= d;
    const Tensor t = random_tensor({n}, ++seed_, -0.5f, 0.5f);
    b.initializer(name, dims, std::vector<float>(t.data<float>(), t.data<float>() + n));
  }
  // The INT8 consumer after the anchor: a 1x1 convolution of a 4-D tensor, a product of a
  // 2-D or 3-D one; its output is y.
  void tail_conv(const std::string& in, int64_t c_in) { conv(in, "tail", 4, c_in, 1, "y"); }
  void tail_matmul(const std::string& in, int64_t k) {
    weights("tail_w", {k, 4});
    b.node("MatMul", {in, "tail_w"}, {"y"}, "tail");
  }

  OnnxBuilder b;

 private:
  uint32_t seed_ = 100;
};

// The probe for a row's anchor, or nullopt when there is none yet.
std::optional<OnnxBuilder> probe_for(OpKind anchor) {
  ProbeBuilder p;
  OnnxBuilder& b = p.b;
  switch (anchor) {
    case OpKind::Conv:  // alone: the FP32 passes make it a FusedConv, as every Conv
      p.conv("h", "anchor", 8, 8, 3, "a");
      p.tail_conv("a", 8);
      break;
    case OpKind::FusedConv:  // a Conv and its Relu, as an exporter writes them
      p.conv("h", "anchor", 8, 8, 3, "a0");
      b.node("Relu", {"a0"}, {"a"}, "anchor_relu");
      p.tail_conv("a", 8);
      break;
    case OpKind::Gemm:  // Gemm with transB: quantized as a FullyConnected, folded as a Gemm
      b.node("Flatten", {"h"}, {"f"}, "flatten");
      p.weights("anchor_w", {16, 288});
      p.weights("anchor_b", {16});
      b.node("Gemm", {"f", "anchor_w", "anchor_b"}, {"a"}, "anchor").attr("transB", int64_t{1});
      p.tail_matmul("a", 16);
      break;
    case OpKind::MatMul:  // over the channels of an NHWC view, without a bias
      b.node("Transpose", {"h"}, {"t"}, "to_nhwc").attr("perm", std::vector<int64_t>{0, 2, 3, 1});
      p.weights("anchor_w", {8, 16});
      b.node("MatMul", {"t", "anchor_w"}, {"a"}, "anchor");
      p.tail_matmul("a", 16);
      break;
    case OpKind::FullyConnected:  // MatMul + bias Add + Relu, fused by the FP32 passes
      b.node("Flatten", {"h"}, {"f"}, "flatten");
      p.weights("anchor_w", {288, 16});
      p.weights("anchor_b", {16});
      b.node("MatMul", {"f", "anchor_w"}, {"m"}, "anchor");
      b.node("Add", {"m", "anchor_b"}, {"a0"}, "anchor_bias");
      b.node("Relu", {"a0"}, {"a"}, "anchor_relu");
      p.tail_matmul("a", 16);
      break;
    case OpKind::Add:  // two ReLU'd branches: no convolution can take the sum as a post-op
      p.conv("x", "head2", 8, 4, 3, "g0");
      b.node("Relu", {"g0"}, {"g"}, "head2_relu");
      b.node("Add", {"h", "g"}, {"a"}, "anchor");
      p.tail_conv("a", 8);
      break;
    case OpKind::AveragePool:
    case OpKind::MaxPool:
      b.node(ir::op_name(anchor), {"h"}, {"a"}, "anchor")
          .attr("kernel_shape", std::vector<int64_t>{2, 2})
          .attr("strides", std::vector<int64_t>{2, 2});
      p.tail_conv("a", 8);
      break;
    case OpKind::GlobalAveragePool:
    case OpKind::GlobalMaxPool:
      b.node(ir::op_name(anchor), {"h"}, {"a"}, "anchor");
      p.tail_conv("a", 8);
      break;
    case OpKind::Concat:
      p.conv("x", "head2", 8, 4, 3, "g0");
      b.node("Relu", {"g0"}, {"g"}, "head2_relu");
      b.node("Concat", {"h", "g"}, {"a"}, "anchor").attr("axis", int64_t{1});
      p.tail_conv("a", 16);
      break;
    case OpKind::Reshape:
      b.initializer_int64("anchor_shape", {4}, {1, 8, 3, 12});
      b.node("Reshape", {"h", "anchor_shape"}, {"a"}, "anchor");
      p.tail_conv("a", 8);
      break;
    case OpKind::Flatten:
      b.node("Flatten", {"h"}, {"a"}, "anchor");
      p.tail_matmul("a", 288);
      break;
    case OpKind::Squeeze:
      b.initializer_int64("pre_shape", {4}, {1, 8, 1, 36});
      b.node("Reshape", {"h", "pre_shape"}, {"r"}, "pre");
      b.initializer_int64("anchor_axes", {1}, {2});
      b.node("Squeeze", {"r", "anchor_axes"}, {"a"}, "anchor");
      p.tail_matmul("a", 36);
      break;
    case OpKind::Unsqueeze:
      b.initializer_int64("pre_shape", {3}, {1, 8, 36});
      b.node("Reshape", {"h", "pre_shape"}, {"r"}, "pre");
      b.initializer_int64("anchor_axes", {1}, {3});
      b.node("Unsqueeze", {"r", "anchor_axes"}, {"a"}, "anchor");
      p.tail_conv("a", 8);
      break;
    case OpKind::Transpose:
      b.node("Transpose", {"h"}, {"a"}, "anchor").attr("perm", std::vector<int64_t>{0, 1, 3, 2});
      p.tail_conv("a", 8);
      break;
    default:
      return std::nullopt;
  }
  return b;
}

const ir::Node* node_named(const ir::Graph& g, const std::string& name) {
  for (const ir::Node& n : g.nodes)
    if (!n.dead && n.name == name) return &n;
  return nullptr;
}

bool is_int8(DType d) { return d == DType::kInt8 || d == DType::kUInt8; }

TEST(Int8Patterns, EveryRowIsQuantizedAndFoldedIntoItsInt8Op) {
  for (const ir::qdq::Int8Pattern& row : ir::qdq::int8_patterns()) {
    SCOPED_TRACE(cat("row anchored on ", ir::op_name(row.anchor), " (", ir::qdq::family_name(row.family), ")"));
    const std::optional<OnnxBuilder> probe = probe_for(row.anchor);
    if (!probe) {
      ADD_FAILURE() << "no probe model in int8_patterns_test.cpp for this row";
      continue;
    }
    const Model fp32 = Model::load_from_bytes(probe->bytes(), "probe");
    QuantizeOptions options;
    options.report_subset_size = 4;
    const QuantizeResult quantized = quantize(fp32, random_samples({1, 4, 6, 6}, 32), options);
    const Model qdq = Model::load_from_bytes(quantized.model.to_bytes(), "probe (QDQ)");
    CompileOptions compile;
    compile.threads = 1;
    CompiledModel int8 = CompiledModel::compile(qdq, compile);
    const ir::Graph& g = int8.graph();

    const ir::Node* anchor = node_named(g, "anchor");
    ASSERT_NE(anchor, nullptr) << "the anchor did not survive as a node of its own";
    EXPECT_EQ(ir::op_name(anchor->op), std::string(ir::op_name(row.becomes)));
    EXPECT_TRUE(is_int8(g.value(anchor->input(0)).dtype)) << "the anchor reads " << dtype_name(g.value(anchor->input(0)).dtype);
    for (const passes::UnfoldedConversion& left : passes::unfolded_conversions(g))
      EXPECT_EQ(left.reason, "quantizes graph input 'x'") << left.node << " left unfolded";

    // The folded INT8 ops compute what the file says: the same QDQ model run as ONNX
    // defines it, every Q/DQ executed and nothing folded. (Against FP32 a random net on
    // random data clips now and then, since ranges are means of per-sample extremes; the
    // report's output SQNR is the quantizer's own check, warned on below 10 dB.)
    CompileOptions unfolded_options = compile;
    unfolded_options.optimize = false;
    CompiledModel unfolded = CompiledModel::compile(qdq, unfolded_options);
    for (uint32_t seed = 7; seed < 10; ++seed) {
      const Tensor x = random_tensor({1, 4, 6, 6}, seed);
      EXPECT_GT(sqnr_db(unfolded.run({x})[0], int8.run({x})[0]), 30.0) << "sample seed " << seed;
    }
    EXPECT_GT(quantized.report.output_sqnr_db, 10.0);
  }
}

// The folder reports what it left, and flags a pattern the quantizer's rows reached but the
// folder did not take: here a Concat of two differently quantized inputs, which a QDQ file
// from another tool may hold.
TEST(Int8Patterns, UnfoldedConversionsNameTheMissedPattern) {
  OnnxBuilder b;
  b.input("a", {1, 2, 3, 3}).input("c", {1, 2, 3, 3}).output("y", {1, 4, 3, 3});
  b.initializer("s1", {}, {0.1f}).initializer("s2", {}, {0.2f});
  b.node("QuantizeLinear", {"a", "s1"}, {"aq"}, "qa").node("DequantizeLinear", {"aq", "s1"}, {"ad"}, "dqa");
  b.node("QuantizeLinear", {"c", "s2"}, {"cq"}, "qc").node("DequantizeLinear", {"cq", "s2"}, {"cd"}, "dqc");
  b.node("Concat", {"ad", "cd"}, {"y"}, "concat").attr("axis", int64_t{1});
  const Model model = Model::load_from_bytes(b.bytes(), "mixed concat");
  CompiledModel compiled = CompiledModel::compile(model);
  bool flagged = false;
  for (const passes::UnfoldedConversion& left : passes::unfolded_conversions(compiled.graph()))
    if (left.pattern_missed) {
      flagged = true;
      EXPECT_NE(left.reason.find("Concat 'concat'"), std::string::npos) << left.reason;
    }
  EXPECT_TRUE(flagged);
}

}  // namespace
}  // namespace octet::testing
