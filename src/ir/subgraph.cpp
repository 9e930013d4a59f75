// Binding types to a subgraph's inputs, and the input/output signature of Loop and Scan.
#include "ir/subgraph.hpp"

#include "ir/shape_inference.hpp"
#include "octet/error.hpp"

namespace octet::ir {

Graph bind_subgraph(const Graph& body, const std::vector<InputType>& types, const Node& owner,
                    bool require_static) {
  if (types.size() != body.inputs.size())
    fail(owner.describe(), ": its subgraph '", body.name, "' takes ", body.inputs.size(), " inputs, the node gives ",
         types.size());
  Graph copy = body;
  for (size_t i = 0; i < types.size(); ++i) {
    Value& v = copy.value(copy.inputs[i]);
    if (types[i].dtype == DType::kUndefined) continue;
    v.dtype = types[i].dtype;
    if (!types[i].has_shape) continue;
    v.shape = types[i].shape;
    v.has_shape = true;
    v.dim_params.assign(v.shape.size(), "");
  }
  try {
    infer_shapes(copy, require_static);
  } catch (const Error& e) {
    fail(owner.describe(), ": in its subgraph '", body.name, "': ", e.what());
  }
  return copy;
}

std::vector<InputType> capture_types(const Graph& graph, const Node& node) {
  std::vector<InputType> types;
  for (size_t i = node.formal_inputs(); i < node.inputs.size(); ++i) {
    const Value& v = graph.value(node.inputs[i]);
    types.push_back({v.dtype, v.shape, v.has_shape});
  }
  return types;
}

LoopSignature loop_signature(const Graph& graph, const Node& node) {
  LoopSignature s;
  const size_t formal = node.formal_inputs();
  if (node.op == OpKind::Loop) {
    if (formal < 2) fail(node.describe(), ": Loop takes the trip count and condition inputs (either may be empty)");
    s.carried = formal - 2;
  } else {
    s.batched = graph.opset < 9;
    const size_t skip = s.batched ? 1 : 0;
    s.scan_inputs = static_cast<size_t>(node.attr_int("num_scan_inputs", 0));
    if (s.scan_inputs == 0 || s.scan_inputs + skip > formal)
      fail(node.describe(), ": num_scan_inputs must be between 1 and the ", formal - skip, " inputs");
    s.carried = formal - skip - s.scan_inputs;
  }
  if (node.outputs.size() < s.carried)
    fail(node.describe(), ": has ", node.outputs.size(), " outputs, fewer than its ", s.carried, " carried values");
  s.scan_outputs = node.outputs.size() - s.carried;
  return s;
}

}  // namespace octet::ir
