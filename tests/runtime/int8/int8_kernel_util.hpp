// One-node graphs for the INT8 kernel tests: an INT8 op with uint8/int8 graph inputs and
// constant weights, compiled with the kernel table (oneDNN first) and evaluated with the
// reference kernels alone, so the two can be compared element by element.
#pragma once
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "ir/shape_inference.hpp"
#include "octet/engine.hpp"
#include "runtime/int8/qdq_builder.hpp"
#include "runtime/kernel.hpp"

namespace octet::test {

struct OneNode {
  ir::Graph graph;
  std::vector<Tensor> inputs;  // data of the graph inputs, in order

  ir::ValueId add_input(const std::string& name, Tensor data) {
    ir::Value v;
    v.name = name;
    v.dtype = data.dtype;
    v.shape = data.shape;
    v.has_shape = true;
    v.dim_params.assign(data.shape.size(), "");
    const ir::ValueId id = graph.add_value(v);
    graph.inputs.push_back(id);
    inputs.push_back(std::move(data));
    return id;
  }
  ir::ValueId add_constant(const std::string& name, Tensor data) { return graph.add_constant(name, std::move(data)); }

  void set_node(ir::OpKind op, std::vector<ir::ValueId> in, std::map<std::string, ir::Attribute> attrs) {
    ir::Node n;
    n.op = op;
    n.name = "node";
    n.inputs = std::move(in);
    n.attrs = std::move(attrs);
    ir::Value out;
    out.name = "y";
    n.outputs = {graph.add_value(out)};
    graph.outputs = {n.outputs[0]};
    graph.add_node(std::move(n));
    ir::infer_shapes(graph, true);
  }

  // Runs the node through the compiled plan; returns the output and the kernel that ran it.
  Tensor run_compiled(std::string* kernel, int threads = 2) {
    CompileOptions options;
    options.threads = threads;
    options.optimize = false;
    CompiledModel compiled = CompiledModel::compile(Model(std::make_shared<ir::Graph>(graph)), options);
    for (const NodeKernel& k : compiled.kernels())
      if (k.node == "node") *kernel = k.kernel;
    return compiled.run(inputs)[0];
  }

  // Runs the node with the reference kernels only.
  Tensor run_reference() {
    std::vector<const Tensor*> args;
    size_t next_input = 0;
    const ir::Node& n = graph.nodes[0];
    for (ir::ValueId v : n.inputs) {
      if (v == ir::kNoValue) args.push_back(nullptr);
      else if (graph.value(v).is_constant()) args.push_back(graph.value(v).data.get());
      else args.push_back(&inputs[next_input++]);
    }
    return rt::evaluate_node(graph, n, args)[0];
  }
};

template <class T>
Tensor random_tensor(DType dtype, Shape shape, int lo, int hi, std::mt19937& rng) {
  Tensor t(dtype, std::move(shape));
  std::uniform_int_distribution<int> d(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<T>()[i] = static_cast<T>(d(rng));
  return t;
}

inline Tensor random_q(DType dtype, Shape shape, std::mt19937& rng) {
  return dtype == DType::kUInt8 ? random_tensor<uint8_t>(dtype, std::move(shape), 0, 255, rng)
                                : random_tensor<int8_t>(dtype, std::move(shape), -128, 127, rng);
}

// Element i as double for uint8/int8/float32 tensors.
inline double element(const Tensor& t, int64_t i) {
  switch (t.dtype) {
    case DType::kUInt8: return t.data<uint8_t>()[i];
    case DType::kInt8: return t.data<int8_t>()[i];
    case DType::kFloat32: return t.data<float>()[i];
    default: return 0.0;
  }
}

struct Mismatch {
  int64_t differing = 0;  // elements not bitwise equal
  double max_diff = 0.0;  // in stored units (quantization steps) or real units for float32
};

inline Mismatch compare(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.dtype, b.dtype);
  EXPECT_EQ(a.shape, b.shape);
  Mismatch m;
  if (a.shape != b.shape || a.dtype != b.dtype) {
    m.differing = a.numel();
    return m;
  }
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = std::fabs(element(a, i) - element(b, i));
    if (d != 0.0) ++m.differing;
    m.max_diff = std::max(m.max_diff, d);
  }
  return m;
}

}  // namespace octet::test
