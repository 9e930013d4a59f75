// What gets quantized (select_quantizers), scale unification, and the structure of the QDQ
// graph insert_qdq builds, on small synthetic graphs in octet's optimized form.
#include <gtest/gtest.h>

#include <algorithm>

#include "quant/algorithms/quant_setup.hpp"
#include "quant/transforms/insert_qdq.hpp"
#include "quant/transforms/unify_scales.hpp"
#include "quant_test_util.hpp"

namespace octet::quant {
namespace {

using ir::OpKind;
using testing::conv_attrs;
using testing::GraphBuilder;
using testing::random_tensor;
using testing::small_cnn;


const ActivationQuantizer* quantizer_on(const QuantSetup& s, const ir::Graph& g, const std::string& value) {
  for (const ActivationQuantizer& a : s.activations)
    if (g.value(a.value).name == value && !a.uses.empty()) return &a;
  return nullptr;
}

const LayerQuantizer& layer_named(const QuantSetup& s, const ir::Graph& g, const std::string& name) {
  for (const LayerQuantizer& l : s.layers)
    if (g.nodes[static_cast<size_t>(l.node)].name == name) return l;
  throw Error("no layer " + name);
}

TEST(SelectQuantizers, CnnInputsWeightsAndScaleSharing) {
  const GraphBuilder b = small_cnn(1);
  const QuantSetup s = select_quantizers(b.g, {});
  EXPECT_FALSE(s.transformer);
  ASSERT_EQ(s.layers.size(), 3u);
  for (const LayerQuantizer& l : s.layers) EXPECT_TRUE(l.quantized) << l.reason;
  EXPECT_EQ(layer_named(s, b.g, "fc").weight_axis(), 1);
  EXPECT_EQ(layer_named(s, b.g, "conv1").weight_axis(), 0);
  EXPECT_EQ(layer_named(s, b.g, "conv1").bias_input, 2);
  // conv2 reads the pool output twice (input and residual): one quantizer, two uses.
  const ActivationQuantizer* p = quantizer_on(s, b.g, "pool_out");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->uses.size(), 2u);
  EXPECT_EQ(p->channel_axis, 1);
  ASSERT_NE(quantizer_on(s, b.g, "input"), nullptr);
  ASSERT_NE(quantizer_on(s, b.g, "flatten_out"), nullptr);
  EXPECT_EQ(quantizer_on(s, b.g, "flatten_out")->channel_axis, 1);
  // Pools and the Flatten between quantized layers: their inputs get quantizers sharing the
  // output's scale, so conv2 and the pool write INT8 and the Flatten moves it.
  ASSERT_NE(quantizer_on(s, b.g, "conv1_out"), nullptr);
  ASSERT_NE(quantizer_on(s, b.g, "conv2_out"), nullptr);
  ASSERT_NE(quantizer_on(s, b.g, "gap_out"), nullptr);
  ASSERT_EQ(s.groups.size(), 3u);
}

TEST(SelectQuantizers, IgnoredScopeByNameGlobAndType) {
  const GraphBuilder b = small_cnn(1);
  QuantizeOptions o;
  o.ignored = {"conv2"};
  QuantSetup s = select_quantizers(b.g, o);
  EXPECT_FALSE(layer_named(s, b.g, "conv2").quantized);
  EXPECT_NE(layer_named(s, b.g, "conv2").reason.find("ignored"), std::string::npos);
  EXPECT_EQ(quantizer_on(s, b.g, "pool_out"), nullptr);
  EXPECT_EQ(quantizer_on(s, b.g, "conv1_out"), nullptr) << "no INT8 reader after the pool: nothing to share";
  o.ignored = {"conv*"};
  s = select_quantizers(b.g, o);
  EXPECT_FALSE(layer_named(s, b.g, "conv1").quantized);
  EXPECT_FALSE(layer_named(s, b.g, "conv2").quantized);
  EXPECT_TRUE(layer_named(s, b.g, "fc").quantized);
  o.ignored = {"Conv", "MatMul", "NoSuchNode"};  // octet's fused forms answer to the ONNX names
  s = select_quantizers(b.g, o);
  for (const LayerQuantizer& l : s.layers) EXPECT_FALSE(l.quantized);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("NoSuchNode"), std::string::npos);
}

TEST(SelectQuantizers, ConcatInputsShareAScaleResidualSummandsKeepTheirOwn) {
  GraphBuilder b;
  const auto x = b.input("input", {1, 4, 6, 6});
  auto conv = [&](const std::string& name, ir::ValueId in, int64_t cin, uint32_t seed) {
    return b.node(OpKind::FusedConv, name, {in, b.constant(name + "_w", random_tensor({4, cin, 1, 1}, seed))},
                  {1, 4, 6, 6}, conv_attrs(1));
  };
  const auto a = conv("a", x, 4, 1), c = conv("c", x, 4, 2);
  std::map<std::string, ir::Attribute> axis;
  axis["axis"] = ir::Attribute::make_int(1);
  const auto cat = b.node(OpKind::Concat, "cat", {a, c}, {1, 8, 6, 6}, axis);
  const auto d = conv("d", cat, 8, 3), e = conv("e", x, 4, 4);
  const auto sum = b.node(OpKind::Add, "add", {d, e}, {1, 4, 6, 6});
  const auto relu = b.node(OpKind::Relu, "relu", {sum}, {1, 4, 6, 6});
  b.output(conv("f", relu, 4, 5));
  QuantSetup s = select_quantizers(b.g, {});
  // Concat: both inputs and the output in one group. The Add's summands are quantized (the
  // sum runs in INT8) but form no group: each keeps its own scale.
  ASSERT_EQ(s.groups.size(), 1u);
  std::vector<std::string> concat_group;
  for (int m : s.groups[0].members) concat_group.push_back(b.g.value(s.activations[static_cast<size_t>(m)].value).name);
  std::sort(concat_group.begin(), concat_group.end());
  EXPECT_EQ(concat_group, (std::vector<std::string>{"a_out", "c_out", "cat_out"}));
  for (const char* v : {"d_out", "e_out"}) {
    ASSERT_NE(quantizer_on(s, b.g, v), nullptr) << v;
    EXPECT_FALSE(quantizer_on(s, b.g, v)->uses.empty()) << v << " feeds the Add in INT8";
  }
  // Unification: every member gets the union of the group's ranges.
  auto set_range = [&](const std::string& v, float lo, float hi) {
    for (ActivationQuantizer& q : s.activations)
      if (b.g.value(q.value).name == v) q.range = {lo, hi};
  };
  set_range("a_out", -1, 2);
  set_range("c_out", -3, 1);
  set_range("cat_out", -2, 2);
  set_range("d_out", 0, 5);
  set_range("e_out", -1, 1);
  set_range("input", -7, 7);
  unify_scales(s);
  for (const char* v : {"a_out", "c_out", "cat_out"}) {
    EXPECT_EQ(quantizer_on(s, b.g, v)->range.lo, -3) << v;
    EXPECT_EQ(quantizer_on(s, b.g, v)->range.hi, 2) << v;
  }
  EXPECT_EQ(quantizer_on(s, b.g, "d_out")->range.lo, 0);  // a ReLU'd summand stays non-negative
  EXPECT_EQ(quantizer_on(s, b.g, "e_out")->range.hi, 1);
  EXPECT_EQ(quantizer_on(s, b.g, "input")->range.hi, 7);  // not in a group: untouched
}

// octet has no INT8 kernel for a product of two activations (ir/qdq/int8_patterns.def), so
// it does not quantize one in either mode: the attention MatMuls stay FP32, with the reason.
TEST(SelectQuantizers, ActivationProductsStayFp32WithTheReason) {
  GraphBuilder b;
  const auto x = b.input("x", {1, 4, 8});
  std::map<std::string, ir::Attribute> perm;
  perm["perm"] = ir::Attribute::make_ints({0, 2, 1});
  const auto xt = b.node(OpKind::Transpose, "xt", {x}, {1, 8, 4}, perm);
  const auto scores = b.node(OpKind::MatMul, "scores", {x, xt}, {1, 4, 4});
  const auto probs = b.node(OpKind::Softmax, "softmax", {scores}, {1, 4, 4});
  const auto ctx = b.node(OpKind::MatMul, "context", {probs, x}, {1, 4, 8});
  b.output(ctx);
  QuantSetup s = select_quantizers(b.g, {});  // auto: attention found
  EXPECT_TRUE(s.transformer);
  QuantizeOptions cnn_mode;
  cnn_mode.model_type = ModelType::kCnn;
  const QuantSetup cnn = select_quantizers(b.g, cnn_mode);
  EXPECT_FALSE(cnn.transformer);
  for (const QuantSetup* setup : std::vector<const QuantSetup*>{&s, &cnn})
    for (const char* name : {"scores", "context"}) {
      const LayerQuantizer& layer = layer_named(*setup, b.g, name);
      EXPECT_FALSE(layer.quantized) << name;
      EXPECT_TRUE(layer.activations.empty()) << name;
      EXPECT_NE(layer.reason.find("two activations"), std::string::npos) << layer.reason;
    }
}

// Fills ranges, parameters and weights the way the algorithm would.
void finish(QuantSetup& s, const ir::Graph& g) { testing::fill_fixed_params(s, g); }

const ir::Node* find_node(const ir::Graph& g, const std::string& name) {
  for (const ir::Node& n : g.nodes)
    if (n.name == name) return &n;
  return nullptr;
}

const ir::Node* producer(const ir::Graph& g, ir::ValueId v) {
  const ir::NodeId p = g.value(v).producer;
  return p == ir::kNoNode ? nullptr : &g.nodes[static_cast<size_t>(p)];
}

TEST(InsertQdq, StandardQdqStructure) {
  const GraphBuilder b = small_cnn(1);
  QuantSetup s = select_quantizers(b.g, {});
  finish(s, b.g);
  const ir::Graph q = insert_qdq(b.g, s);
  int quantize_nodes = 0;
  for (const ir::Node& n : q.nodes) quantize_nodes += n.op == OpKind::QuantizeLinear;
  EXPECT_EQ(quantize_nodes, 6);  // input, conv1_out, pool_out, conv2_out, gap_out, flatten_out

  const ir::Node* conv1 = find_node(q, "conv1");
  ASSERT_NE(conv1, nullptr);
  const ir::Node* dq_x = producer(q, conv1->input(0));
  ASSERT_TRUE(dq_x && dq_x->op == OpKind::DequantizeLinear);
  const ir::Node* q_x = producer(q, dq_x->input(0));
  ASSERT_TRUE(q_x && q_x->op == OpKind::QuantizeLinear);
  EXPECT_EQ(q.value(q_x->input(0)).name, "input");
  EXPECT_EQ(q.value(dq_x->input(0)).dtype, DType::kInt8);  // signed range, performance preset
  EXPECT_TRUE(q.value(q_x->input(1)).data->shape.empty()) << "per-tensor scale is a scalar";

  const ir::Node* dq_w = producer(q, conv1->input(1));
  ASSERT_TRUE(dq_w && dq_w->op == OpKind::DequantizeLinear);
  EXPECT_EQ(dq_w->attr_int("axis", -1), 0);
  EXPECT_EQ(q.constant(dq_w->input(0))->dtype, DType::kInt8);
  EXPECT_EQ(q.constant(dq_w->input(1))->numel(), 8);

  const ir::Node* dq_b = producer(q, conv1->input(2));
  ASSERT_TRUE(dq_b && dq_b->op == OpKind::DequantizeLinear);
  const Tensor& bias_scale = *q.constant(dq_b->input(1));
  EXPECT_EQ(q.constant(dq_b->input(0))->dtype, DType::kInt32);
  EXPECT_EQ(dq_b->input(2), ir::kNoValue) << "zero point 0 is ONNX's default";
  EXPECT_EQ(dq_w->input(2), ir::kNoValue);
  const float sx = q.constant(q_x->input(1))->data<float>()[0];
  for (int c = 0; c < 8; ++c)
    EXPECT_FLOAT_EQ(bias_scale.data<float>()[c], sx * q.constant(dq_w->input(1))->data<float>()[c]);

  const ir::Node* fc = find_node(q, "fc");
  EXPECT_EQ(producer(q, fc->input(1))->attr_int("axis", -1), 1);
  const ir::Node* conv2 = find_node(q, "conv2");
  EXPECT_EQ(conv2->input(0), conv2->input(3)) << "input and residual read one DQ output";
  // The graph output conv1_out is still the FP32 tensor written by conv1.
  bool fp32_output = false;
  for (ir::ValueId v : q.outputs) fp32_output = fp32_output || (q.value(v).name == "conv1_out" && producer(q, v) == conv1);
  EXPECT_TRUE(fp32_output);

  ir::Graph folded = q;
  fold_constant_dequantize(folded);
  for (const ir::Node& n : folded.nodes)
    if (n.op == OpKind::DequantizeLinear) EXPECT_FALSE(folded.constant(n.input(0))) << n.name;
  const ir::Node* conv1f = find_node(folded, "conv1");
  const Tensor expected = dequantize_weights(layer_named(s, b.g, "conv1").weights);
  EXPECT_EQ(folded.constant(conv1f->input(1))->bytes, expected.bytes);
}

TEST(InsertQdq, RevertedLayerStaysFp32) {
  const GraphBuilder b = small_cnn(1);
  QuantSetup s = select_quantizers(b.g, {});
  finish(s, b.g);
  for (size_t i = 0; i < s.layers.size(); ++i)
    if (b.g.nodes[static_cast<size_t>(s.layers[i].node)].name == "fc") s.revert_layer(i, "reverted by a test");
  const ir::Graph q = insert_qdq(b.g, s);
  const ir::Node* fc = find_node(q, "fc");
  EXPECT_TRUE(q.constant(fc->input(1)) != nullptr) << "float weights";
  EXPECT_EQ(q.value(fc->input(0)).name, "flatten_out");
}

// Per-channel DequantizeLinear needs opset 13: an opset-11 graph (M-LSD, a tf2onnx export)
// comes out raised to 13, with its per-channel weights, instead of being refused.
TEST(InsertQdq, RaisesOldOpsetsTo13) {
  GraphBuilder b = small_cnn(1);
  b.g.opset = 11;
  QuantSetup s = select_quantizers(b.g, {});
  finish(s, b.g);
  const ir::Graph q = insert_qdq(b.g, s);
  EXPECT_EQ(q.opset, 13);
  int per_channel = 0;
  for (const ir::Node& n : q.nodes)
    if (!n.dead && n.op == ir::OpKind::DequantizeLinear && n.has_attr("axis")) ++per_channel;
  EXPECT_GT(per_channel, 0);
}

}  // namespace
}  // namespace octet::quant
