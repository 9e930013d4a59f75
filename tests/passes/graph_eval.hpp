// Test helpers for graph passes: a small builder for hand-made ir::Graphs and a whole-graph
// evaluator over rt::evaluate_node (the reference kernels), so a pass test can check that the
// optimized graph computes what the original did.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "ir/shape_inference.hpp"
#include "ir/shapes/shape_fn.hpp"
#include "runtime/kernel.hpp"

namespace octet::testing {

// Builds a graph node by node; finish() infers shapes.
struct GraphBuilder {
  ir::Graph g;
  std::mt19937 rng{1234};

  explicit GraphBuilder(int64_t opset = 13) { g.opset = opset; g.name = "test"; }

  ir::ValueId input(const std::string& name, Shape shape, DType dtype = DType::kFloat32) {
    ir::Value v;
    v.name = name;
    v.dtype = dtype;
    v.shape = std::move(shape);
    v.has_shape = true;
    v.dim_params.assign(v.shape.size(), "");
    const ir::ValueId id = g.add_value(std::move(v));
    g.inputs.push_back(id);
    return id;
  }
  ir::ValueId constant(const std::string& name, Tensor t) { return g.add_constant(name, std::move(t)); }
  ir::ValueId floats(const std::string& name, Shape shape, std::vector<float> data) {
    return constant(name, Tensor::from_vector<float>(DType::kFloat32, std::move(shape), data));
  }
  ir::ValueId ints(const std::string& name, Shape shape, std::vector<int64_t> data) {
    return constant(name, Tensor::from_vector<int64_t>(DType::kInt64, std::move(shape), data));
  }
  // Uniform random float32 constant in [lo, hi).
  ir::ValueId random(const std::string& name, Shape shape, float lo = -1.0f, float hi = 1.0f) {
    Tensor t(DType::kFloat32, std::move(shape));
    std::uniform_real_distribution<float> dist(lo, hi);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
    return constant(name, std::move(t));
  }
  // Adds a node with `outputs` new values; returns them.
  std::vector<ir::ValueId> node_n(ir::OpKind op, std::vector<ir::ValueId> inputs, size_t outputs,
                                  std::map<std::string, ir::Attribute> attrs = {}, const std::string& name = "") {
    ir::Node n;
    n.op = op;
    n.name = name.empty() ? g.unique_node_name(ir::op_name(op)) : name;
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    std::vector<ir::ValueId> outs;
    for (size_t i = 0; i < outputs; ++i) {
      ir::Value v;
      v.name = g.unique_value_name(n.name + (i ? "_out" + std::to_string(i) : "_out"));
      outs.push_back(g.add_value(std::move(v)));
    }
    n.outputs = outs;
    g.add_node(std::move(n));
    return outs;
  }
  ir::ValueId node(ir::OpKind op, std::vector<ir::ValueId> inputs, std::map<std::string, ir::Attribute> attrs = {},
                   const std::string& name = "") {
    return node_n(op, std::move(inputs), 1, std::move(attrs), name)[0];
  }
  void output(ir::ValueId v) { g.outputs.push_back(v); }
  ir::Graph finish() {
    ir::verify(g);
    ir::infer_shapes(g, /*require_static=*/false);
    return g;
  }
};

// Random inputs for every graph input (float32 in [-2, 2)).
inline std::vector<Tensor> random_inputs(const ir::Graph& g, unsigned seed = 7) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
  std::vector<Tensor> r;
  for (ir::ValueId id : g.inputs) {
    Tensor t(DType::kFloat32, g.value(id).shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
    r.push_back(convert_tensor(t, g.value(id).dtype));
  }
  return r;
}

// Runs the whole graph node by node with the reference kernels; outputs in graph order.
// Works on a copy whose computed values become constants as it goes, so each node's shape
// function sees real values (a Reshape whose target is computed gets a static shape).
inline std::vector<Tensor> evaluate_graph(const ir::Graph& graph, const std::vector<Tensor>& inputs) {
  ir::Graph g = graph;
  auto set = [&](ir::ValueId v, Tensor t) {
    ir::Value& value = g.value(v);
    value.shape = t.shape;
    value.dtype = t.dtype;
    value.has_shape = true;
    value.dim_params.assign(t.shape.size(), "");
    value.data = std::make_shared<const Tensor>(std::move(t));
  };
  for (size_t i = 0; i < g.inputs.size(); ++i) set(g.inputs[i], inputs.at(i));
  for (ir::NodeId n : graph.topological_order()) {
    const ir::Node& node = g.nodes[static_cast<size_t>(n)];
    if (const ir::ShapeFn fn = ir::shape_fn_for(node.op)) fn(g, node);
    std::vector<const Tensor*> in;
    for (ir::ValueId v : node.inputs) in.push_back(g.constant(v));
    std::vector<Tensor> out = rt::evaluate_node(g, node, in);
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (node.outputs[i] != ir::kNoValue) set(node.outputs[i], std::move(out.at(i)));
  }
  std::vector<Tensor> r;
  for (ir::ValueId v : g.outputs) r.push_back(*g.constant(v));
  return r;
}

// Element-wise agreement within `rel` of the expected tensor's largest magnitude.
inline void expect_close(const Tensor& got, const Tensor& want, double rel = 1e-5) {
  ASSERT_EQ(got.shape, want.shape);
  const Tensor a = convert_tensor(got, DType::kFloat32), b = convert_tensor(want, DType::kFloat32);
  double scale = 0;
  for (int64_t i = 0; i < b.numel(); ++i) scale = std::max(scale, std::fabs(static_cast<double>(b.data<float>()[i])));
  const double tol = rel * std::max(scale, 1e-3);
  int bad = 0;
  for (int64_t i = 0; i < b.numel() && bad < 5; ++i) {
    const double d = std::fabs(static_cast<double>(a.data<float>()[i]) - b.data<float>()[i]);
    if (!(d <= tol)) {
      ADD_FAILURE() << "element " << i << ": " << a.data<float>()[i] << " vs " << b.data<float>()[i] << " (tolerance " << tol << ")";
      ++bad;
    }
  }
}

// Count of live nodes of one op.
inline int count_ops(const ir::Graph& g, ir::OpKind op) {
  int n = 0;
  for (const ir::Node& node : g.nodes) n += !node.dead && node.op == op;
  return n;
}

// A pass kept the numbers: `g` (after it) and `original` (before) agree on seeded random inputs.
inline void expect_same_numbers(const ir::Graph& g, const ir::Graph& original) {
  const auto in = random_inputs(original);
  const auto want = evaluate_graph(original, in), got = evaluate_graph(g, in);
  for (size_t i = 0; i < want.size(); ++i) expect_close(got[i], want[i]);
}

}  // namespace octet::testing
