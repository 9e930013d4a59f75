// Helpers for the quantization tests: a tiny IR graph builder (no ONNX round trip needed for
// structure tests) and seeded random tensors.
#pragma once
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "octet/tensor.hpp"

namespace octet::testing {

inline Tensor random_tensor(Shape shape, uint32_t seed, float lo = -1.0f, float hi = 1.0f) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
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

}  // namespace octet::testing
