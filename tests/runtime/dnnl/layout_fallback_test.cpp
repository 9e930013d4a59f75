// Layouts never refuse a node: a oneDNN Conv writes nChw8c or NHWC, and every op of ops.def
// whose only kernels are reference ones (which read plain) must still run after it, the
// planner reordering its input to plain. Each such op has a recipe below (a node fed by the
// Conv) or a reason it cannot follow a float Conv; a new reference-only op without either
// fails the test, so the list cannot drift from ops.def.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <optional>
#include <random>

#include "runtime/dnnl/dnnl_tester.hpp"
#include "runtime/dnnl/graph_builder.hpp"
#include "runtime/plan.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;

// The Conv's output: [1, 4, 6, 6]; 4 channels fill half an nChw8c block, so the padding is real.
constexpr int64_t kC = 4, kH = 6, kW = 6;

// Integer-valued data: the Conv's sums are exact in float32 whichever kernel computes them,
// so comparisons, ArgMax, Floor, Cast... after it see the same input in the plan and in the
// reference, and any difference is the layout handling's.
Tensor integer_tensor(DType dtype, const Shape& shape, uint32_t seed, int lo, int hi) {
  Tensor t(dtype, shape);
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const int v = dist(gen);
    if (dtype == DType::kFloat32) t.data<float>()[i] = static_cast<float>(v);
    else if (dtype == DType::kInt64) t.data<int64_t>()[i] = v;
    else if (dtype == DType::kInt32) t.data<int32_t>()[i] = v;
    else if (dtype == DType::kBool) t.data<uint8_t>()[i] = v > (lo + hi) / 2;
    else ADD_FAILURE() << "integer_tensor: dtype " << dtype_name(dtype);
  }
  return t;
}

Tensor int64s(Shape shape, const std::vector<int64_t>& v) { return Tensor::from_vector(DType::kInt64, std::move(shape), v); }
Tensor floats(Shape shape, const std::vector<float>& v) { return Tensor::from_vector(DType::kFloat32, std::move(shape), v); }
ir::Attribute i(int64_t v) { return ir::Attribute::make_int(v); }

// Adds the node under test, fed by `y` (the Conv's output); returns the outputs to check.
using Recipe = std::function<std::vector<ir::ValueId>(GraphBuilder& b, ir::ValueId y)>;

struct Case {
  std::optional<Recipe> recipe;
  std::string not_applicable;  // why the op cannot follow a float Conv ("" when it has a recipe)
};

// Ops no float Conv output feeds directly, by name (some are not in every branch's ops.def).
const std::map<std::string, std::string>& not_applicable_by_name() {
  static const std::map<std::string, std::string> reasons = {
      {"If", "reads a bool condition and runs subgraphs (tests/runtime/ref/control_flow_test.cpp)"},
      {"Loop", "reads an iteration count and a condition and runs a subgraph"},
      {"Scan", "runs a subgraph over scanned inputs"},
      {"RNN", "reads [seq, batch, features] with weights shaped by hidden_size (recurrent tests)"},
      {"GRU", "reads [seq, batch, features] with weights shaped by hidden_size (recurrent tests)"},
      {"LSTM", "reads [seq, batch, features] with weights shaped by hidden_size (recurrent tests)"},
  };
  return reasons;
}

// One node of `op` after the Conv, with whatever constant inputs and attributes it needs.
Case case_for(OpKind op) {
  if (auto it = not_applicable_by_name().find(ir::op_name(op)); it != not_applicable_by_name().end())
    return {std::nullopt, it->second};
  auto with = [op](std::function<std::vector<ir::ValueId>(GraphBuilder&)> extra_inputs,
                   std::map<std::string, ir::Attribute> attrs = {}, size_t outputs = 1) -> Case {
    return {Recipe([op, extra_inputs, attrs, outputs](GraphBuilder& b, ir::ValueId y) {
              std::vector<ir::ValueId> inputs = {y};
              for (ir::ValueId v : extra_inputs(b)) inputs.push_back(v);
              return b.nodes(op, inputs, attrs, outputs);
            }),
            ""};
  };
  auto none = [](GraphBuilder&) { return std::vector<ir::ValueId>{}; };
  auto constant = [](Tensor t) { return [t](GraphBuilder& b) { return std::vector<ir::ValueId>{b.constant(t)}; }; };
  auto per_channel = [&](float lo, float hi) { return constant(integer_tensor(DType::kFloat32, {1, kC, 1, 1}, 3, static_cast<int>(lo), static_cast<int>(hi))); };
  const std::string bool_input = "reads bool tensors; a Conv writes float";
  const std::string quantized = "reads quantized integer tensors; a float Conv does not write them";
  switch (op) {
    // Elementwise with a second, broadcast operand.
    case OpKind::Pow: return with(per_channel(0, 2));
    case OpKind::Mod: return with(per_channel(1, 3), {{"fmod", i(1)}});
    case OpKind::Equal: case OpKind::Less: case OpKind::LessOrEqual: case OpKind::Greater: case OpKind::GreaterOrEqual:
    case OpKind::Add: case OpKind::Sub: case OpKind::Mul: case OpKind::Div: case OpKind::Max: case OpKind::Min:
    case OpKind::Mean: case OpKind::Sum: case OpKind::PRelu:
      return with(per_channel(1, 3));
    case OpKind::Where:  // Where(cond, X, Y): the Conv is X, the condition comes first
      return {Recipe([](GraphBuilder& b, ir::ValueId y) {
                const ir::ValueId cond = b.constant(integer_tensor(DType::kBool, {1, kC, kH, kW}, 5, 0, 1));
                return std::vector<ir::ValueId>{b.node(OpKind::Where, {cond, y, b.constant(floats({1}, {0.5f}))})};
              }),
              ""};
    case OpKind::Clip:
      return with([](GraphBuilder& b) {
        return std::vector<ir::ValueId>{b.constant(floats({}, {-20.0f})), b.constant(floats({}, {20.0f}))};
      });
    case OpKind::BatchNormalization:
      return with([](GraphBuilder& b) {
        return std::vector<ir::ValueId>{b.constant(floats({kC}, {1, 2, 0.5f, 1})), b.constant(floats({kC}, {0, 1, -1, 2})),
                                        b.constant(floats({kC}, {1, 0, 2, -1})), b.constant(floats({kC}, {1, 4, 2, 0.5f}))};
      });
    case OpKind::InstanceNormalization:
      return with([](GraphBuilder& b) {
        return std::vector<ir::ValueId>{b.constant(floats({kC}, {1, 2, 0.5f, 1})), b.constant(floats({kC}, {0, 1, -1, 2}))};
      });
    case OpKind::LayerNormalization: return with(constant(floats({kW}, {1, 2, 1, 0.5f, 1, 1})), {{"axis", i(-1)}});
    case OpKind::LpNormalization: return with(none, {{"axis", i(1)}});
    case OpKind::ReduceSum: return with(constant(int64s({2}, {2, 3})));
    case OpKind::ReduceMean: case OpKind::ReduceMax: case OpKind::ReduceMin: case OpKind::ReduceProd: case OpKind::ReduceL1:
    case OpKind::ReduceL2: case OpKind::ReduceSumSquare: case OpKind::ReduceLogSum: case OpKind::ReduceLogSumExp:
      return with(none, {{"axes", ints({1, 3})}});
    case OpKind::ArgMax: case OpKind::ArgMin: return with(none, {{"axis", i(1)}});
    case OpKind::Softmax: case OpKind::LogSoftmax: case OpKind::Hardmax: return with(none, {{"axis", i(1)}});
    // Shape and data movement.
    case OpKind::Reshape: return with(constant(int64s({3}, {1, kC, kH * kW})));
    case OpKind::Squeeze: case OpKind::Unsqueeze: return with(constant(int64s({1}, {0})));
    case OpKind::Transpose: return with(none, {{"perm", ints({0, 2, 3, 1})}});
    case OpKind::Concat:
      return {Recipe([](GraphBuilder& b, ir::ValueId y) {
                return std::vector<ir::ValueId>{b.node(OpKind::Concat, {y, y}, {{"axis", i(1)}})};
              }),
              ""};
    case OpKind::Split: return with(constant(int64s({2}, {1, 3})), {{"axis", i(1)}}, 2);
    case OpKind::Slice: return with([](GraphBuilder& b) {
      return std::vector<ir::ValueId>{b.constant(int64s({2}, {1, 1})), b.constant(int64s({2}, {3, 5})), b.constant(int64s({2}, {1, 3}))};
    });
    case OpKind::Gather: return with(constant(int64s({2}, {3, 0})), {{"axis", i(1)}});
    case OpKind::GatherElements: return with(constant(integer_tensor(DType::kInt64, {1, 2, kH, kW}, 9, 0, kC - 1)), {{"axis", i(1)}});
    case OpKind::Pad: return with(constant(int64s({8}, {0, 0, 1, 2, 0, 1, 0, 1})));
    case OpKind::Tile: return with(constant(int64s({4}, {1, 2, 1, 2})));
    case OpKind::Expand: return with(constant(int64s({4}, {2, kC, kH, kW})));
    case OpKind::Resize:
      return with([](GraphBuilder& b) {
        return std::vector<ir::ValueId>{b.constant(floats({0}, {})), b.constant(floats({4}, {1, 1, 2, 1.5f}))};
      }, {{"mode", str("linear")}});
    case OpKind::DepthToSpace: case OpKind::SpaceToDepth: return with(none, {{"blocksize", i(2)}});
    case OpKind::Cast: return with(none, {{"to", i(6)}});  // int32
    case OpKind::CastLike: return with(constant(int64s({1}, {0})));
    case OpKind::TopK: return with(constant(int64s({1}, {2})), {{"axis", i(-1)}}, 2);
    case OpKind::CumSum: return with(constant(int64s({}, {2})));
    case OpKind::QuantizeLinear:
      return with([](GraphBuilder& b) {
        return std::vector<ir::ValueId>{b.constant(floats({}, {2.0f})),
                                        b.constant(Tensor::from_vector<uint8_t>(DType::kUInt8, {}, {128}))};
      });
    // Ops no float Conv output can feed.
    case OpKind::Not: case OpKind::And: case OpKind::Or: case OpKind::Xor: return {std::nullopt, bool_input};
    case OpKind::DequantizeLinear: case OpKind::QConv: case OpKind::QFullyConnected: case OpKind::QAdd:
    case OpKind::QAveragePool:
      return {std::nullopt, quantized};
    case OpKind::Constant: return {std::nullopt, "has no inputs"};
    case OpKind::ConstantOfShape: return {std::nullopt, "reads an int64 shape"};
    case OpKind::Range: return {std::nullopt, "reads scalars (start, limit, delta)"};
    case OpKind::EyeLike: return {std::nullopt, "reads a 2-D tensor; a Conv writes rank 3 to 5"};
    case OpKind::Upsample: return {std::nullopt, "deprecated since opset 10 (Resize covers it, and the ref kernel is Resize's)"};
    case OpKind::Reorder: return {std::nullopt, "the planner's own layout change"};
    default: return with(none);  // unary, attributes at their defaults
  }
}

bool reference_only(OpKind op) {
  const auto kernels = rt::kernels_for(op);
  if (kernels.empty()) return false;
  for (const rt::KernelEntry* e : kernels)
    if (std::string(e->name).rfind("ref_", 0) != 0) return false;
  return true;
}

std::vector<OpKind> reference_only_ops() {
  std::vector<OpKind> ops;
#define OCTET_ONNX_OP(name) if (reference_only(OpKind::name)) ops.push_back(OpKind::name);
#define OCTET_INTERNAL_OP(name) OCTET_ONNX_OP(name)
#include "ir/ops.def"
#undef OCTET_ONNX_OP
#undef OCTET_INTERNAL_OP
  return ops;
}

// Conv (oneDNN, layout forced) -> op, compiled, against node-by-node reference evaluation.
void check_after_conv(OpKind op, const Recipe& recipe, const char* layout) {
  ScopedEnv forced("OCTET_DNNL_LAYOUT", layout);
  ScopedEnv direct("OCTET_DNNL_WINOGRAD", "0");  // exact sums: Winograd's transforms round
  GraphBuilder b;
  const ir::ValueId x = b.input("x", {1, 3, kH, kW});
  const ir::ValueId w = b.constant(integer_tensor(DType::kFloat32, {kC, 3, 3, 3}, 2, -2, 2));
  const ir::ValueId bias = b.constant(integer_tensor(DType::kFloat32, {kC}, 4, -3, 3));
  const ir::ValueId y = b.node(OpKind::Conv, {x, w, bias}, {{"pads", ints({1, 1, 1, 1})}});
  b.graph().outputs = recipe(b, y);
  ir::infer_shapes(b.graph(), true);
  const auto graph = std::make_shared<ir::Graph>(b.graph());
  const Tensor input = integer_tensor(DType::kFloat32, {1, 3, kH, kW}, 7, -3, 3);
  const std::vector<Tensor> expect = evaluate_reference(*graph, {input});

  std::unique_ptr<rt::Plan> plan;
  try {
    plan = rt::Plan::compile(graph, {});
  } catch (const std::exception& e) {
    FAIL() << ir::op_name(op) << " after a Conv in " << layout << ": " << e.what();
  }
  auto conv_it = std::find_if(plan->steps().begin(), plan->steps().end(), [](const rt::PlanStep& s) { return s.op == OpKind::Conv; });
  ASSERT_NE(conv_it, plan->steps().end());
  const rt::PlanStep& conv = *conv_it;
  ASSERT_EQ(std::string(conv.entry->name).rfind("dnnl_", 0), 0u) << "the Conv should run on oneDNN";
  EXPECT_NE(plan->tensors()[static_cast<size_t>(conv.dsts[0])].desc.layout, rt::Layout::kPlain)
      << "the forced layout did not reach the Conv's output";
  std::vector<Tensor> got;
  std::vector<void*> out_ptrs;
  for (const rt::TensorDesc& d : plan->output_descs()) got.emplace_back(d.dtype, d.shape);
  for (Tensor& t : got) out_ptrs.push_back(t.bytes.data());
  plan->run({input.bytes.data()}, out_ptrs);
  ASSERT_EQ(got.size(), expect.size());
  for (size_t k = 0; k < got.size(); ++k) {
    ASSERT_EQ(got[k].dtype, expect[k].dtype) << ir::op_name(op) << " output " << k;
    ASSERT_EQ(got[k].shape, expect[k].shape) << ir::op_name(op) << " output " << k;
    if (got[k].dtype == DType::kFloat32) {
      EXPECT_TRUE(all_close(got[k], expect[k], 1e-5f, 1e-5f)) << ir::op_name(op) << " output " << k << " in " << layout;
    } else {
      EXPECT_EQ(got[k].bytes, expect[k].bytes) << ir::op_name(op) << " output " << k << " in " << layout;
    }
  }
}

TEST(LayoutFallback, EveryReferenceOnlyOpRunsAfterABlockedConv) {
  const std::vector<OpKind> ops = reference_only_ops();
  ASSERT_FALSE(ops.empty());
  int ran = 0;
  for (OpKind op : ops) {
    const Case c = case_for(op);
    if (!c.recipe) {
      EXPECT_FALSE(c.not_applicable.empty()) << ir::op_name(op) << ": neither a recipe nor a reason";
      continue;
    }
    for (const char* layout : {"nChw8c", "nhwc"}) check_after_conv(op, *c.recipe, layout);
    ++ran;
  }
  RecordProperty("ops_checked", ran);
  EXPECT_GE(ran, 40) << "most reference-only ops take a float tensor";
}

}  // namespace
}  // namespace octet::testing
