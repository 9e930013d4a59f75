// Graphs built value by value for plan tests, and the same graph evaluated node by node with
// the reference kernels (rt::evaluate_node): the oracle a compiled Plan is checked against.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "runtime/dnnl/dnnl_tester.hpp"
#include "runtime/kernel.hpp"

namespace octet::testing {

// Builds graphs value by value: x = b.node(op, {inputs}, attrs).
class GraphBuilder {
 public:
  GraphBuilder() { g_.opset = 17; }
  ir::ValueId input(const std::string& name, const Shape& shape) {
    ir::Value v;
    v.name = name;
    v.dtype = DType::kFloat32;
    v.shape = shape;
    v.has_shape = true;
    v.dim_params.assign(shape.size(), "");
    const ir::ValueId id = g_.add_value(v);
    g_.inputs.push_back(id);
    return id;
  }
  ir::ValueId constant(const Shape& shape, float lo = -0.5f, float hi = 0.5f) {
    return g_.add_constant("c" + std::to_string(seed_), random_tensor(shape, seed_++, lo, hi));
  }
  ir::ValueId node(ir::OpKind op, std::vector<ir::ValueId> inputs, std::map<std::string, ir::Attribute> attrs = {}) {
    return nodes(op, std::move(inputs), std::move(attrs), 1)[0];
  }
  // A node with `outputs` outputs.
  std::vector<ir::ValueId> nodes(ir::OpKind op, std::vector<ir::ValueId> inputs, std::map<std::string, ir::Attribute> attrs,
                                 size_t outputs) {
    ir::Node n;
    n.op = op;
    n.name = std::string(ir::op_name(op)) + "_" + std::to_string(g_.nodes.size());
    n.inputs = std::move(inputs);
    n.attrs = std::move(attrs);
    for (size_t i = 0; i < outputs; ++i) {
      ir::Value v;
      v.name = n.name + "_out" + std::to_string(i);
      n.outputs.push_back(g_.add_value(v));
    }
    g_.add_node(n);
    return n.outputs;
  }
  // A constant holding exactly `t`.
  ir::ValueId constant(Tensor t) { return g_.add_constant("c" + std::to_string(seed_++), std::move(t)); }
  ir::Graph& graph() { return g_; }

 private:
  ir::Graph g_;
  uint32_t seed_ = 1000;
};

inline ir::Attribute ints(std::vector<int64_t> v) { return ir::Attribute::make_ints(std::move(v)); }
inline ir::Attribute str(std::string v) { return ir::Attribute::make_string(std::move(v)); }
inline ir::Attribute f(float v) { return ir::Attribute::make_float(v); }

// Node by node with the reference kernels; graph input i is fed `inputs[i]`.
inline std::vector<Tensor> evaluate_reference(const ir::Graph& g, const std::vector<Tensor>& inputs) {
  std::map<ir::ValueId, Tensor> values;
  for (size_t i = 0; i < inputs.size(); ++i) values[g.inputs[i]] = inputs[i];
  for (ir::NodeId n : g.topological_order()) {
    const ir::Node& node = g.nodes[static_cast<size_t>(n)];
    std::vector<const Tensor*> in;
    for (ir::ValueId v : node.inputs) in.push_back(g.value(v).is_constant() ? g.value(v).data.get() : &values.at(v));
    std::vector<Tensor> out = rt::evaluate_node(g, node, in);
    for (size_t i = 0; i < node.outputs.size() && i < out.size(); ++i)
      if (node.outputs[i] != ir::kNoValue) values[node.outputs[i]] = std::move(out[i]);
  }
  std::vector<Tensor> r;
  for (ir::ValueId v : g.outputs) r.push_back(values.at(v));
  return r;
}

}  // namespace octet::testing
