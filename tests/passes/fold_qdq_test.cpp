// fold_qdq on hand-built QDQ graphs: the structure after the pass (which INT8 ops replaced
// which Q/DQ patterns, what stayed float) and the numbers of the compiled INT8 model against
// the same graph evaluated as ONNX defines it, in double precision, with nothing folded
// (runtime/int8/qdq_oracle.hpp). Outputs must agree within one quantization step, and mostly
// exactly; MaxPool and Concat on quantized tensors must agree exactly.
#include <gtest/gtest.h>

#include "passes/fold_qdq.hpp"
#include "runtime/int8/qdq_builder.hpp"
#include "runtime/int8/qdq_oracle.hpp"

namespace octet::test {
namespace {

using K = ir::OpKind;
constexpr DType u8 = DType::kUInt8;
constexpr DType s8 = DType::kInt8;

// Ops of the live nodes after fold_qdq, in order.
std::vector<K> folded_ops(QdqBuilder& b, std::string* log = nullptr) {
  b.infer();
  ir::Graph g = b.graph();
  const std::string line = passes::fold_qdq(g);
  if (log) *log = line;
  std::vector<K> ops;
  for (const ir::Node& n : g.nodes)
    if (!n.dead) ops.push_back(n.op);
  return ops;
}

size_t count(const std::vector<K>& ops, K op) { return static_cast<size_t>(std::count(ops.begin(), ops.end(), op)); }

const ir::Node* find_node(const ir::Graph& g, K op) {
  for (const ir::Node& n : g.nodes)
    if (!n.dead && n.op == op) return &n;
  return nullptr;
}

// Compiles the graph with the passes (fold_qdq included) and compares its first output with
// the oracle: within `step` everywhere, and equal (to float precision) on at least
// `min_exact` of the elements.
void expect_matches_oracle(QdqBuilder& b, const std::vector<Tensor>& inputs, double step, double min_exact) {
  Model model = b.model();
  CompileOptions options;
  options.threads = 2;
  CompiledModel compiled = CompiledModel::compile(model, options);
  const Tensor fast = compiled.run(inputs)[0];
  QdqOracle oracle(model.graph());
  const DTensor exact = oracle.run(inputs)[0];
  ASSERT_EQ(fast.shape, exact.shape);
  ASSERT_EQ(fast.dtype, DType::kFloat32);
  int64_t equal = 0;
  double worst = 0.0;
  for (int64_t i = 0; i < fast.numel(); ++i) {
    const double d = std::fabs(fast.data<float>()[i] - exact.v[static_cast<size_t>(i)]);
    worst = std::max(worst, d);
    equal += d <= 1e-5 * std::max(1.0, std::fabs(exact.v[static_cast<size_t>(i)]));
  }
  EXPECT_LE(worst, step * 1.0001) << "largest difference from exact QDQ arithmetic";
  EXPECT_GE(static_cast<double>(equal) / static_cast<double>(fast.numel()), min_exact)
      << equal << " of " << fast.numel() << " elements equal";
  // Not a degenerate test: the output takes many values.
  std::vector<double> values(exact.v);
  std::sort(values.begin(), values.end());
  EXPECT_GT(std::unique(values.begin(), values.end()) - values.begin(), 10);
}

// x -> QDQ -> Conv(+bias) [-> act] -> Q -> DQ -> output
struct ConvNet {
  QdqBuilder b;
  float scale_x = 0.02f, scale_y = 0.05f;
  ir::ValueId out;
  ConvNet(DType dtype_x, int32_t zp_x, bool per_channel, K activation, int64_t group = 1, int64_t c = 8,
          int64_t m = 12, int64_t stride = 1) {
    const ir::ValueId x = b.input("x", {1, c, 9, 9});
    const ir::ValueId xq = b.qdq(x, scale_x, zp_x, dtype_x);
    auto w = b.weights({m, c / group, 3, 3}, per_channel);
    const ir::ValueId bias = b.bias(m, scale_x, w.scales);
    ir::ValueId y = b.node(K::Conv, {xq, w.dq, bias},
                           {{"pads", ints({1, 1, 1, 1})}, {"group", int_attr(group)}, {"strides", ints({stride, stride})}});
    if (activation == K::Relu) y = b.node(K::Relu, {y});
    if (activation == K::Clip) y = b.node(K::Clip, {y, b.scalar_f32("lo", 0.0f), b.scalar_f32("hi", 6.0f)});
    const bool relu_like = activation != K::Identity;
    out = b.qdq(y, scale_y, relu_like ? 0 : 128, u8);
    b.output(out);
  }
};

TEST(FoldQdq, ConvReluBecomesOneQConv) {
  ConvNet net(u8, 128, true, K::Relu);
  std::string log;
  const auto ops = folded_ops(net.b, &log);
  EXPECT_EQ(ops, (std::vector<K>{K::QuantizeLinear, K::QConv, K::DequantizeLinear})) << log;
  EXPECT_NE(log.find("1 QConv"), std::string::npos) << log;
  expect_matches_oracle(net.b, {net.b.random_input({1, 8, 9, 9}, -2.0f, 2.0f)}, net.scale_y, 0.97);
}

TEST(FoldQdq, ConvVariantsMatchExactQdqArithmetic) {
  struct Case {
    const char* name;
    DType dtype_x;
    int32_t zp_x;
    bool per_channel;
    K activation;
    int64_t group, c, m, stride;
  };
  for (const Case& c : {Case{"int8 symmetric, per tensor, relu6", s8, 0, false, K::Clip, 1, 8, 12, 1},
                        Case{"depthwise, stride 2", u8, 100, true, K::Relu, 6, 6, 6, 2},
                        Case{"groups, odd channels, no activation", u8, 17, true, K::Identity, 3, 9, 15, 1}}) {
    SCOPED_TRACE(c.name);
    ConvNet net(c.dtype_x, c.zp_x, c.per_channel, c.activation, c.group, c.c, c.m, c.stride);
    EXPECT_EQ(count(folded_ops(net.b), K::QConv), 1u);
    EXPECT_EQ(count(folded_ops(net.b), K::Conv), 0u);
    expect_matches_oracle(net.b, {net.b.random_input({1, c.c, 9, 9}, -2.0f, 2.0f)}, net.scale_y, 0.97);
  }
}

TEST(FoldQdq, ConvFeedingAFloatOutputGetsAFloatQConv) {
  QdqBuilder b;
  const ir::ValueId x = b.input("x", {1, 4, 6, 6});
  auto w = b.weights({5, 4, 3, 3}, true);
  const ir::ValueId y = b.node(K::Conv, {b.qdq(x, 0.03f, 0, s8), w.dq, b.bias(5, 0.03f, w.scales)});
  b.output(y);
  b.infer();
  ir::Graph g = b.graph();
  passes::fold_qdq(g);
  const ir::Node* conv = find_node(g, K::QConv);
  ASSERT_NE(conv, nullptr);
  EXPECT_EQ(conv->attr_string("dtype_y", ""), "float32");
  // Float outputs differ from the oracle only by float32 rounding.
  expect_matches_oracle(b, {b.random_input({1, 4, 6, 6}, -3.0f, 3.0f)}, 1e-4, 0.0);
}

// a = QConv(x) quantized, skip = x's quantized input; y = Relu(DQ(a) + DQ(skip)) -> Q.
TEST(FoldQdq, ResidualAddBecomesTheQConvsSumPostOp) {
  QdqBuilder b;
  const ir::ValueId x = b.input("x", {1, 16, 7, 7});
  const ir::ValueId xq = b.quantize(x, 0.02f, 128, u8);
  auto w = b.weights({16, 16, 3, 3}, true);
  const ir::ValueId conv = b.node(K::Conv, {b.dequantize(xq, 0.02f, 128, u8), w.dq, b.bias(16, 0.02f, w.scales)},
                                  {{"pads", ints({1, 1, 1, 1})}});
  const ir::ValueId a = b.qdq(conv, 0.04f, 120, u8);
  const ir::ValueId sum = b.node(K::Add, {a, b.dequantize(xq, 0.02f, 128, u8)});
  const ir::ValueId y = b.node(K::Relu, {sum});
  b.output(b.qdq(y, 0.05f, 0, u8));
  std::string log;
  const auto ops = folded_ops(b, &log);
  EXPECT_EQ(ops, (std::vector<K>{K::QuantizeLinear, K::QConv, K::DequantizeLinear})) << log;
  b.infer();
  ir::Graph g = b.graph();
  passes::fold_qdq(g);
  const ir::Node* q = find_node(g, K::QConv);
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->inputs.size(), 4u);
  EXPECT_EQ(q->attr_string("activation", ""), "Relu");
  EXPECT_FLOAT_EQ(q->attr_float("scale_sum", 0.0f), 0.02f);
  // The fused sum skips the conv's own rounding to 0.04: one output step at most.
  expect_matches_oracle(b, {b.random_input({1, 16, 7, 7}, -2.5f, 2.5f)}, 0.05, 0.8);
}

TEST(FoldQdq, AddOfTwoQuantizedInputsBecomesQAdd) {
  QdqBuilder b;
  const ir::ValueId x1 = b.input("x1", {1, 6, 5, 5});
  const ir::ValueId x2 = b.input("x2", {1, 6, 5, 5});
  const ir::ValueId sum = b.node(K::Add, {b.qdq(x1, 0.02f, 128, u8), b.qdq(x2, 0.03f, 0, s8)});
  b.output(b.qdq(sum, 0.04f, 130, u8));
  EXPECT_EQ(count(folded_ops(b), K::QAdd), 1u);
  EXPECT_EQ(count(folded_ops(b), K::Add), 0u);
  expect_matches_oracle(b, {b.random_input({1, 6, 5, 5}, -2.0f, 2.0f), b.random_input({1, 6, 5, 5}, -3.0f, 3.0f)},
                        0.04, 0.97);
}

TEST(FoldQdq, MaxPoolAndConcatRunOnTheQuantizedTensorExactly) {
  QdqBuilder b;
  const ir::ValueId x1 = b.input("x1", {1, 5, 8, 8});
  const ir::ValueId x2 = b.input("x2", {1, 3, 4, 4});
  const ir::ValueId p = b.node(K::MaxPool, {b.qdq(x1, 0.02f, 128, u8)},
                               {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"pads", ints({1, 1, 0, 0})}});
  const ir::ValueId pq = b.qdq(p, 0.02f, 128, u8);
  const ir::ValueId cat = b.node(K::Concat, {pq, b.qdq(x2, 0.02f, 128, u8)}, {{"axis", int_attr(1)}});
  b.output(b.qdq(cat, 0.02f, 128, u8));
  b.infer();
  ir::Graph g = b.graph();
  passes::fold_qdq(g);
  const ir::Node* pool = find_node(g, K::MaxPool);
  const ir::Node* concat = find_node(g, K::Concat);
  ASSERT_TRUE(pool && concat);
  EXPECT_EQ(g.value(pool->inputs[0]).dtype, u8);
  EXPECT_EQ(g.value(concat->outputs[0]).dtype, u8);
  // Two input quantizations and one dequantization remain.
  size_t q = 0, dq = 0;
  for (const ir::Node& n : g.nodes) {
    q += !n.dead && n.op == K::QuantizeLinear;
    dq += !n.dead && n.op == K::DequantizeLinear;
  }
  EXPECT_EQ(q, 2u);
  EXPECT_EQ(dq, 1u);
  // Exact but for float32 rounding of the final dequantization.
  expect_matches_oracle(b, {b.random_input({1, 5, 8, 8}, -2.0f, 2.0f), b.random_input({1, 3, 4, 4}, -2.0f, 2.0f)},
                        1e-6, 1.0);
}

TEST(FoldQdq, AveragePoolsRequantizeOnce) {
  QdqBuilder b;
  const ir::ValueId x = b.input("x", {1, 16, 9, 9});
  const ir::ValueId xq = b.qdq(x, 0.02f, 128, u8);
  const ir::ValueId avg = b.node(K::AveragePool, {xq},
                                 {{"kernel_shape", ints({3, 3})}, {"pads", ints({1, 1, 1, 1})},
                                  {"count_include_pad", int_attr(1)}});
  const ir::ValueId gap = b.node(K::GlobalAveragePool, {b.qdq(avg, 0.01f, 128, u8)});
  b.output(b.qdq(gap, 0.003f, 128, u8));
  const auto ops = folded_ops(b);
  EXPECT_EQ(count(ops, K::QAveragePool), 2u);
  EXPECT_EQ(count(ops, K::AveragePool) + count(ops, K::GlobalAveragePool), 0u);
  expect_matches_oracle(b, {b.random_input({1, 16, 9, 9}, -2.0f, 2.0f)}, 0.003, 0.9);
}

TEST(FoldQdq, GemmAfterFlattenBecomesQFullyConnected) {
  QdqBuilder b;
  const ir::ValueId x = b.input("x", {2, 4, 3, 3});
  const ir::ValueId flat = b.node(K::Flatten, {b.qdq(x, 0.02f, 128, u8)}, {{"axis", int_attr(1)}});
  auto w = b.weights({10, 36}, true, QdqBuilder::default_limit(), 0);
  const ir::ValueId y = b.node(K::Gemm, {flat, w.dq, b.bias(10, 0.02f, w.scales)}, {{"transB", int_attr(1)}});
  b.output(b.qdq(y, 0.05f, 128, u8));
  const auto ops = folded_ops(b);
  EXPECT_EQ(ops, (std::vector<K>{K::QuantizeLinear, K::Flatten, K::QFullyConnected, K::DequantizeLinear}));
  expect_matches_oracle(b, {b.random_input({2, 4, 3, 3}, -2.0f, 2.0f)}, 0.05, 0.97);
}

TEST(FoldQdq, MatMulWithBiasAddBecomesQFullyConnected) {
  QdqBuilder b;
  const ir::ValueId x = b.input("x", {3, 20});
  auto w = b.weights({20, 7}, true, QdqBuilder::default_limit(), 1);
  const ir::ValueId mm = b.node(K::MatMul, {b.qdq(x, 0.03f, 0, s8), w.dq});
  std::vector<float> bias(7);
  for (size_t i = 0; i < bias.size(); ++i) bias[i] = 0.1f * static_cast<float>(i) - 0.3f;
  const ir::ValueId y = b.node(K::Add, {mm, b.constant("bias", Tensor::from_vector<float>(DType::kFloat32, {7}, bias))});
  b.output(b.qdq(y, 0.05f, 0, s8));
  const auto ops = folded_ops(b);
  EXPECT_EQ(ops, (std::vector<K>{K::QuantizeLinear, K::QFullyConnected, K::DequantizeLinear}));
  expect_matches_oracle(b, {b.random_input({3, 20}, -3.0f, 3.0f)}, 0.05, 0.95);
}

// A transformer's token tensor [batch, tokens, features]: the quantized input stays plain
// (not channels-last over the tokens), so QFullyConnected runs on oneDNN's INT8 matmul, not
// the reference kernel (which it fell back to, 15x slower, on the Fashion-MNIST ViT).
TEST(FoldQdq, TokenMatMulRunsOnTheInt8Kernel) {
  QdqBuilder b;
  const ir::ValueId x = b.input("x", {1, 16, 64});
  auto w = b.weights({64, 32}, true, QdqBuilder::default_limit(), 1);
  const ir::ValueId mm = b.node(K::MatMul, {b.qdq(x, 0.03f, 0, s8), w.dq});
  b.output(b.qdq(mm, 0.05f, 0, s8));
  const auto ops = folded_ops(b);
  EXPECT_EQ(ops, (std::vector<K>{K::QuantizeLinear, K::QFullyConnected, K::DequantizeLinear}));
  CompileOptions options;
  options.threads = 1;
  CompiledModel compiled = CompiledModel::compile(b.model(), options);
  for (const NodeKernel& k : compiled.kernels())
    if (k.op == "QFullyConnected") EXPECT_EQ(k.kernel, "dnnl_qfully_connected");
  expect_matches_oracle(b, {b.random_input({1, 16, 64}, -3.0f, 3.0f)}, 0.05, 0.95);
}

// Patterns fold_qdq must leave in float, and still compute correctly.
TEST(FoldQdq, NonMatchingPatternsStayFloatAndCorrect) {
  QdqBuilder b;
  const ir::ValueId x = b.input("x", {1, 4, 6, 6});
  // uint8 weights with a zero point: no int8 weight kernel takes them.
  Tensor wq(u8, {4, 4, 1, 1});
  for (int64_t i = 0; i < wq.numel(); ++i) wq.data<uint8_t>()[i] = static_cast<uint8_t>(37 * i % 256);
  const ir::ValueId w = b.node(K::DequantizeLinear, {b.constant("wq", wq), b.scalar_f32("ws", 0.01f),
                                                     b.zero_point("wzp", u8, 128)});
  const ir::ValueId conv = b.node(K::Conv, {b.qdq(x, 0.02f, 128, u8), w});
  // Concat of differently quantized inputs.
  const ir::ValueId cat = b.node(K::Concat, {b.qdq(conv, 0.03f, 128, u8), b.qdq(x, 0.02f, 128, u8)},
                                 {{"axis", int_attr(1)}});
  b.output(b.qdq(cat, 0.03f, 128, u8));
  const auto ops = folded_ops(b);
  EXPECT_EQ(count(ops, K::Conv), 1u);
  EXPECT_EQ(count(ops, K::Concat), 1u);
  EXPECT_EQ(count(ops, K::QConv), 0u);
  expect_matches_oracle(b, {b.random_input({1, 4, 6, 6}, -2.0f, 2.0f)}, 0.03, 0.95);
}

TEST(FoldQdq, GraphWithoutQdqIsUntouched) {
  QdqBuilder b;
  const ir::ValueId x = b.input("x", {1, 3});
  b.output(b.node(K::Relu, {x}));
  b.infer();
  ir::Graph g = b.graph();
  EXPECT_EQ(passes::fold_qdq(g), "");
  EXPECT_EQ(g.nodes.size(), 1u);
}

}  // namespace
}  // namespace octet::test
