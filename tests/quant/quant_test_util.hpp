// Helpers for the quantization tests: a tiny IR graph builder (no ONNX round trip needed for
// structure tests) and seeded random tensors.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "quant/algorithms/quant_setup.hpp"
#include "octet/quantize.hpp"
#include "octet/tensor.hpp"

namespace octet::testing {

inline Tensor random_tensor(Shape shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// Calibration samples of a one-input model, served from memory.
inline SampleSource source_of(const std::vector<Tensor>& samples) {
  return {samples.size(), [samples](size_t i) { return std::vector<Tensor>{samples.at(i)}; }};
}

// `count` seeded random samples of one input of `shape`, uniform in [-1, 1].
inline SampleSource random_samples(const Shape& shape, size_t count) {
  return {count, [shape](size_t i) { return std::vector<Tensor>{random_tensor(shape, 1000 + static_cast<uint32_t>(i))}; }};
}

// Signal to noise of `got` against `ref` in dB (float32 tensors; -inf when the shapes differ).
inline double sqnr_db(const Tensor& ref, const Tensor& got) {
  if (ref.shape != got.shape) return -std::numeric_limits<double>::infinity();
  double signal = 0, noise = 0;
  for (int64_t i = 0; i < ref.numel(); ++i) {
    const double r = ref.data<float>()[i], d = r - got.data<float>()[i];
    signal += r * r;
    noise += d * d;
  }
  return 10 * std::log10(signal / std::max(noise, 1e-30));
}

inline Tensor tensor_from(Shape shape, const std::vector<float>& values) {
  return Tensor::from_vector(DType::kFloat32, std::move(shape), values);
}

class GraphBuilder {
 public:
  GraphBuilder() { g.name = "test"; g.opset = 13; }

  ir::ValueId input(const std::string& name, Shape shape) {
    const ir::ValueId v = value(name, shape);
    g.inputs.push_back(v);
    return v;
  }
  ir::ValueId constant(const std::string& name, Tensor t) { return g.add_constant(name, std::move(t)); }
  ir::ValueId node(ir::OpKind op, const std::string& name, std::vector<ir::ValueId> inputs, Shape out_shape,
                   std::map<std::string, ir::Attribute> attrs = {}) {
    ir::Node n;
    n.op = op;
    n.name = name;
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    const ir::ValueId out = value(name + "_out", out_shape);
    n.outputs = {out};
    g.add_node(std::move(n));
    return out;
  }
  void output(ir::ValueId v) { g.outputs.push_back(v); }
  ir::NodeId node_id(const std::string& name) const {
    for (size_t i = 0; i < g.nodes.size(); ++i)
      if (g.nodes[i].name == name) return static_cast<ir::NodeId>(i);
    return ir::kNoNode;
  }

  ir::Graph g;

 private:
  ir::ValueId value(const std::string& name, const Shape& shape) {
    ir::Value v;
    v.name = name;
    v.dtype = DType::kFloat32;
    v.shape = shape;
    v.has_shape = true;
    v.dim_params.assign(shape.size(), "");
    return g.add_value(std::move(v));
  }
};

inline std::map<std::string, ir::Attribute> conv_attrs(int64_t kernel, int64_t group = 1, const std::string& act = "") {
  std::map<std::string, ir::Attribute> a;
  a["kernel_shape"] = ir::Attribute::make_ints({kernel, kernel});
  a["pads"] = ir::Attribute::make_ints({kernel / 2, kernel / 2, kernel / 2, kernel / 2});
  a["group"] = ir::Attribute::make_int(group);
  a["activation"] = ir::Attribute::make_string(act);
  return a;
}

// input -> conv1(Relu) -> MaxPool -> conv2(Sum = pool output) -> GAP -> Flatten -> fc, weights
// drawn from seeds seed..seed+5. conv1's output is also a graph output: an FP32 reader of a
// quantized tensor, which must keep reading FP32.
inline GraphBuilder small_cnn(uint32_t seed) {
  using ir::OpKind;
  GraphBuilder b;
  const auto x = b.input("input", {1, 3, 8, 8});
  const auto c1 = b.node(OpKind::FusedConv, "conv1",
                         {x, b.constant("w1", random_tensor({8, 3, 3, 3}, seed)), b.constant("b1", random_tensor({8}, seed + 1))},
                         {1, 8, 8, 8}, conv_attrs(3, 1, "Relu"));
  std::map<std::string, ir::Attribute> pool;
  pool["kernel_shape"] = ir::Attribute::make_ints({2, 2});
  pool["strides"] = ir::Attribute::make_ints({2, 2});
  const auto p = b.node(OpKind::MaxPool, "pool", {c1}, {1, 8, 4, 4}, pool);
  const auto c2 = b.node(OpKind::FusedConv, "conv2",
                         {p, b.constant("w2", random_tensor({8, 8, 3, 3}, seed + 2)),
                          b.constant("b2", random_tensor({8}, seed + 3)), p},
                         {1, 8, 4, 4}, conv_attrs(3, 1, "Relu"));
  const auto gap = b.node(OpKind::GlobalAveragePool, "gap", {c2}, {1, 8, 1, 1});
  const auto flat = b.node(OpKind::Flatten, "flatten", {gap}, {1, 8});
  const auto fc = b.node(OpKind::FullyConnected, "fc",
                         {flat, b.constant("wfc", random_tensor({8, 4}, seed + 4)),
                          b.constant("bfc", random_tensor({4}, seed + 5))},
                         {1, 4});
  b.output(fc);
  b.output(c1);
  return b;
}

// Fixed ranges ([-1, 2]) and max-range 8-bit weights for a selected setup: enough for
// insert_qdq in structure tests, no calibration.
inline void fill_fixed_params(quant::QuantSetup& s, const ir::Graph& g) {
  for (quant::ActivationQuantizer& a : s.activations) {
    a.range = {-1, 2};
    a.params = quant::activation_qparams(a.range, QuantPreset::kPerformance);
  }
  for (quant::LayerQuantizer& l : s.layers) {
    if (!l.quantized || l.weight_input < 0) continue;
    const Tensor& w = *g.value(g.nodes[static_cast<size_t>(l.node)].input(static_cast<size_t>(l.weight_input))).data;
    const size_t channels = static_cast<size_t>(w.shape[static_cast<size_t>(l.weight_axis())]);
    l.weights = quant::quantize_weights(w, l.weight_axis(), std::vector<int8_t>(channels, 127), "max");
  }
}

}  // namespace octet::testing
