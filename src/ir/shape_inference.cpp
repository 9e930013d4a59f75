// The shape inference driver: topological walk calling each op's shape function.
#include "ir/shape_inference.hpp"

#include "core/limits.hpp"
#include "ir/shapes/shape_fn.hpp"
#include "octet/error.hpp"

namespace octet::ir {

const Value& input_value(const Graph& graph, const Node& node, size_t i) {
  const ValueId id = node.input(i);
  if (id == kNoValue) fail(node.describe(), ": input ", i, " is required");
  const Value& v = graph.value(id);
  if (!v.has_shape) fail(node.describe(), ": input '", v.name, "' has no known shape");
  return v;
}

void set_output(Graph& graph, const Node& node, size_t i, DType dtype, Shape shape) {
  if (i >= node.outputs.size() || node.outputs[i] == kNoValue) return;
  Value& v = graph.value(node.outputs[i]);
  // -1 is "unknown"; anything below is a shape function's arithmetic gone wrong on
  // attributes it should have refused, and must not pass for a dynamic dim.
  for (int64_t d : shape)
    if (d < -1) fail(node.describe(), ": output '", v.name, "' computes to the impossible shape ", shape_str(shape));
  std::vector<std::string> dim_params(shape.size(), "");
  if (v.has_shape && v.shape.size() == shape.size()) {
    v.dim_params.resize(v.shape.size());
    for (size_t d = 0; d < shape.size(); ++d) {
      // The model's declared shape must agree with what inference derives.
      if (v.shape[d] >= 0 && shape[d] >= 0 && v.shape[d] != shape[d] && v.dim_params[d].empty())
        fail(node.describe(), ": output '", v.name, "' is declared ", shape_str(v.shape), " but computes to ",
             shape_str(shape));
      // Where inference cannot tell a dim (it depends on run-time values), the declared
      // dim or its symbolic name stays.
      if (shape[d] < 0) {
        shape[d] = v.shape[d];
        dim_params[d] = v.dim_params[d];
      }
    }
  }
  // Refused here, before constant folding or the plan allocate it: a ConstantOfShape, Expand,
  // Tile or Reshape that claims 10^12 elements.
  bool known = true;
  for (int64_t d : shape) known = known && d >= 0;
  // The message is made only for a refusal: this runs once per node, for every node.
  if (const int64_t bytes = known ? tensor_bytes_checked(shape, dtype) : 0; bytes < 0 || bytes > kMaxTensorBytes)
    check_tensor_size(shape, dtype, cat(node.describe(), ": output '", v.name, "'"));
  v.dtype = dtype;
  v.dim_params = std::move(dim_params);
  v.shape = std::move(shape);
  v.has_shape = true;
}

void set_input_shapes(Graph& graph, const std::map<std::string, Shape>& shapes, int64_t batch) {
  for (const auto& [name, shape] : shapes) {
    bool found = false;
    for (ValueId id : graph.inputs) {
      Value& v = graph.value(id);
      if (v.name != name) continue;
      found = true;
      if (v.has_shape && v.shape.size() != shape.size())
        fail("input '", name, "' has rank ", v.shape.size(), " ", shape_str(v.shape), "; the shape given, ",
             shape_str(shape), ", has rank ", shape.size());
      for (size_t d = 0; d < shape.size(); ++d) {
        if (shape[d] <= 0) fail("input '", name, "': dimension ", d, " of the given shape must be positive");
        if (v.has_shape && v.shape[d] >= 0 && v.shape[d] != shape[d] && d != 0)
          fail("input '", name, "' has a fixed dimension ", d, " of ", v.shape[d], "; the shape given has ", shape[d]);
      }
      v.shape = shape;
      v.has_shape = true;
      v.dim_params.assign(shape.size(), "");
    }
    if (!found) {
      std::string names;
      for (ValueId id : graph.inputs) names += cat(names.empty() ? "" : ", ", graph.value(id).name);
      fail("the model has no input named '", name, "' (its inputs: ", names, ")");
    }
  }
  for (ValueId id : graph.inputs) {
    Value& v = graph.value(id);
    if (batch > 0 && v.has_shape && !v.shape.empty() && v.shape[0] < 0 && !shapes.count(v.name)) {
      v.shape[0] = batch;
      v.dim_params[0] = "";
    }
  }
}

void infer_shapes(Graph& graph, bool require_static) {
  for (ValueId id : graph.inputs) {
    const Value& v = graph.value(id);
    bool known = v.has_shape;
    for (int64_t d : v.shape) known = known && d >= 0;
    if (known) check_tensor_size(v.shape, v.dtype, cat("input '", v.name, "'"));
    // Said here, before the first node whose output it leaves unknown would name that node.
    if (require_static && !v.has_shape)
      fail("input '", v.name, "' has no shape (its rank is unknown); give one with --shape ", v.name, "=...");
  }
  // A graph output's declared element type is part of the model's contract (ONNX Runtime:
  // "Type Error"); it is what the dtype is before the first inference, and inference must
  // agree. (float16 is declared as float32 already: octet computes it so.)
  std::vector<DType> declared;
  for (ValueId id : graph.outputs) declared.push_back(graph.value(id).dtype);
  for (NodeId n : graph.topological_order()) {
    const Node& node = graph.nodes[static_cast<size_t>(n)];
    bool inputs_known = true;
    for (ValueId in : node.inputs)
      if (in != kNoValue && !graph.value(in).has_shape) inputs_known = false;
    const ShapeFn fn = shape_fn_for(node.op);
    if (fn && inputs_known) {
      fn(graph, node);
    } else if (require_static) {
      for (ValueId out : node.outputs) {
        if (out == kNoValue) continue;
        const Value& v = graph.value(out);
        bool known = v.has_shape && v.dtype != DType::kUndefined;
        for (int64_t d : v.shape) known = known && d >= 0;
        if (!known)
          fail(node.describe(), ": cannot infer the shape of output '", v.name, "'",
               fn ? " (an input's shape is unknown)" : " (no shape function for this op)");
      }
    }
  }
  for (size_t i = 0; i < graph.outputs.size(); ++i) {
    const Value& v = graph.value(graph.outputs[i]);
    if (declared[i] != DType::kUndefined && v.dtype != declared[i] && v.producer != kNoNode)
      fail(graph.nodes[static_cast<size_t>(v.producer)].describe(), ": graph output '", v.name, "' is declared ",
           dtype_name(declared[i]), " but the node computes ", dtype_name(v.dtype));
  }
  if (!require_static) return;
  for (const Value& v : graph.values) {
    if (!v.has_shape && v.producer == kNoNode && !v.is_constant())
      fail("input '", v.name, "' has no shape; give one with --shape ", v.name, "=...");
    for (int64_t d : v.shape)
      if (d < 0)
        fail("value '", v.name, "' has a dynamic shape ", shape_str(v.shape),
             v.producer == kNoNode ? cat("; give one with --shape ", v.name, "=...") : std::string());
  }
}

}  // namespace octet::ir
