// A small CNN compiled into a Plan (oneDNN kernels, layouts negotiated, Reorders inserted,
// residual buffers shared in place) against the same graph evaluated node by node with the
// reference kernels (rt::evaluate_node), in each forced layout and with 1 and 2 threads.
#include <gtest/gtest.h>

#include "runtime/dnnl/dnnl_tester.hpp"
#include "runtime/dnnl/graph_builder.hpp"
#include "runtime/plan.hpp"

namespace octet::testing {
namespace {

using ir::OpKind;

// Stem, pool, a residual block, a depthwise conv with an SE block, concat, pools, classifier.
std::shared_ptr<ir::Graph> small_cnn() {
  GraphBuilder b;
  const auto pads1 = ints({1, 1, 1, 1});
  const ir::ValueId x = b.input("x", {1, 3, 32, 32});
  const auto c1 = b.node(OpKind::FusedConv, {x, b.constant({16, 3, 3, 3}), b.constant({16})},
                         {{"pads", pads1}, {"activation", str("Relu")}});
  const auto p1 = b.node(OpKind::MaxPool, {c1}, {{"kernel_shape", ints({3, 3})}, {"strides", ints({2, 2})}, {"pads", pads1}});
  const auto c2 = b.node(OpKind::FusedConv, {p1, b.constant({13, 16, 3, 3}), b.constant({13})},
                         {{"pads", pads1}, {"activation", str("Clip")}, {"alpha", f(0)}, {"beta", f(6)}});
  const auto c3 = b.node(OpKind::FusedConv, {c2, b.constant({16, 13, 1, 1}), b.constant({16}), p1},
                         {{"activation", str("Relu")}});
  const auto dw = b.node(OpKind::FusedConv, {c3, b.constant({16, 1, 3, 3}), b.constant({16})},
                         {{"pads", pads1}, {"group", ir::Attribute::make_int(16)}, {"activation", str("HardSwish")}});
  const auto se = b.node(OpKind::GlobalAveragePool, {dw});
  const auto s1 = b.node(OpKind::FusedConv, {se, b.constant({4, 16, 1, 1}), b.constant({4})}, {{"activation", str("Relu")}});
  const auto s2 = b.node(OpKind::Conv, {s1, b.constant({16, 4, 1, 1}), b.constant({16})});
  const auto s3 = b.node(OpKind::Sigmoid, {s2});
  const auto m = b.node(OpKind::Mul, {dw, s3});
  const auto a = b.node(OpKind::Add, {m, c3});
  const auto cat = b.node(OpKind::Concat, {a, c2}, {{"axis", ir::Attribute::make_int(1)}});
  const auto ap = b.node(OpKind::AveragePool, {cat}, {{"kernel_shape", ints({2, 2})}, {"strides", ints({2, 2})}});
  const auto gp = b.node(OpKind::GlobalAveragePool, {ap});
  const auto fl = b.node(OpKind::Flatten, {gp});
  const auto fc = b.node(OpKind::FullyConnected, {fl, b.constant({29, 10}), b.constant({10})});
  const auto sm = b.node(OpKind::Softmax, {fc});
  b.graph().outputs = {sm, a};
  ir::infer_shapes(b.graph(), true);
  return std::make_shared<ir::Graph>(b.graph());
}

void check_plan(const char* layout, int threads) {
  std::unique_ptr<ScopedEnv> env;
  if (layout) env = std::make_unique<ScopedEnv>("OCTET_DNNL_LAYOUT", layout);
  const auto graph = small_cnn();
  const Tensor x = random_tensor({1, 3, 32, 32}, 7);
  const std::vector<Tensor> expect = evaluate_reference(*graph, {x});
  rt::PlanOptions options;
  options.threads = threads;
  auto plan = rt::Plan::compile(graph, options);
  std::vector<Tensor> got;
  std::vector<void*> out_ptrs;
  for (const rt::TensorDesc& d : plan->output_descs()) got.emplace_back(d.dtype, d.shape);
  for (Tensor& t : got) out_ptrs.push_back(t.bytes.data());
  for (int run = 0; run < 2; ++run) {  // twice: the second run must not depend on the first's leftovers
    plan->run({x.bytes.data()}, out_ptrs);
    for (size_t i = 0; i < expect.size(); ++i)
      EXPECT_TRUE(all_close(got[i], expect[i], 1e-4f, 1e-4f))
          << "output " << i << " layout " << (layout ? layout : "oneDNN's") << " threads " << threads;
  }
  // Every conv, pool and elementwise node ran on oneDNN; the residual conv wrote in place.
  bool residual_in_place = false;
  for (const rt::PlanStep& step : plan->steps()) {
    const std::string kernel = step.entry->name;
    if (step.op != OpKind::Flatten && step.op != OpKind::Softmax && step.op != OpKind::Reorder)
      EXPECT_EQ(kernel.rfind("dnnl_", 0), 0u) << step.node_name << " ran on " << kernel;
    if (step.op == OpKind::FusedConv && step.srcs.size() == 4)
      residual_in_place = plan->tensors()[static_cast<size_t>(step.dsts[0])].alias_of >= 0;
  }
  EXPECT_TRUE(residual_in_place) << "the residual is dead after its conv: dst should take its buffer";
}

TEST(DnnlPlan, SmallCnnMatchesNodeByNodeReference) {
  for (const char* layout : {static_cast<const char*>(nullptr), "nChw8c", "nhwc", "plain"})
    for (int threads : {1, 2}) check_plan(layout, threads);
}

}  // namespace
}  // namespace octet::testing
