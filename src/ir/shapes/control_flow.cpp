// Shapes of If, Loop and Scan from their subgraphs (bound to the node's input types by
// bind_subgraph), and of the recurrent layers RNN, GRU and LSTM.
#include <limits>

#include "ir/shapes/shape_util.hpp"
#include "ir/subgraph.hpp"
#include "octet/error.hpp"

namespace octet::ir::shapes {
namespace {

InputType type_of(const Value& v) { return {v.dtype, v.shape, v.has_shape}; }

// Sets output i from a body value: its dtype, and its shape when the rank is known.
void set_from(Graph& graph, const Node& node, size_t i, const Value& v, Shape shape) {
  if (v.has_shape) set_output(graph, node, i, v.dtype, std::move(shape));
  else set_output_dtype(graph, node, i, v.dtype);
}

void if_shape(Graph& graph, const Node& node, const BodyBinder& bind) {
  const std::vector<InputType> captures = capture_types(graph, node);
  const Graph then_g = bind(node.subgraph("then_branch"), captures, node);
  const Graph else_g = bind(node.subgraph("else_branch"), captures, node);
  if (then_g.outputs.size() != node.outputs.size() || else_g.outputs.size() != node.outputs.size())
    fail(node.describe(), ": its branches have ", then_g.outputs.size(), " and ", else_g.outputs.size(),
         " outputs; the node has ", node.outputs.size());
  // A constant condition picks the branch; otherwise a dim both branches agree on is known.
  const Tensor* cond = const_input(graph, node, 0);
  const int taken = cond && cond->numel() == 1 ? (tensor_ints(*cond)[0] != 0 ? 1 : 0) : -1;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    const Value& a = then_g.value(then_g.outputs[i]);
    const Value& b = else_g.value(else_g.outputs[i]);
    if (a.dtype != b.dtype && a.dtype != DType::kUndefined && b.dtype != DType::kUndefined)
      fail(node.describe(), ": output ", i, " is ", dtype_name(a.dtype), " in then_branch but ", dtype_name(b.dtype),
           " in else_branch");
    if (taken >= 0) {
      const Value& v = taken ? a : b;
      set_from(graph, node, i, v, v.shape);
      continue;
    }
    if (a.has_shape && b.has_shape && a.shape.size() == b.shape.size()) {
      Shape s = a.shape;
      for (size_t d = 0; d < s.size(); ++d)
        if (s[d] != b.shape[d]) s[d] = -1;
      set_output(graph, node, i, a.dtype, std::move(s));
    } else {
      set_output_dtype(graph, node, i, a.dtype != DType::kUndefined ? a.dtype : b.dtype);
    }
  }
}

// Trip counts beyond this are "run until the condition says stop", not a length.
constexpr int64_t kMaxStaticTrips = int64_t{1} << 31;

void loop_shape(Graph& graph, const Node& node, const BodyBinder& bind) {
  const LoopSignature sig = loop_signature(graph, node);
  std::vector<InputType> types = {{DType::kInt64, {}, true}, {DType::kBool, {}, true}};
  for (size_t i = 0; i < sig.carried; ++i) types.push_back(type_of(input_value(graph, node, 2 + i)));
  for (const InputType& t : capture_types(graph, node)) types.push_back(t);
  const Graph body = bind(node.subgraph("body"), types, node);
  if (body.outputs.size() != 1 + node.outputs.size())
    fail(node.describe(), ": its body has ", body.outputs.size(), " outputs; the condition and ", node.outputs.size(),
         " more expected");
  for (size_t i = 0; i < sig.carried; ++i) {
    const Value& out = body.value(body.outputs[1 + i]);
    const Value& initial = input_value(graph, node, 2 + i);
    Shape s = out.has_shape ? out.shape : initial.shape;
    // A carried value whose shape changes between iterations has no static shape.
    if (s.size() == initial.shape.size())
      for (size_t d = 0; d < s.size(); ++d)
        if (s[d] != initial.shape[d]) s[d] = -1;
    set_output(graph, node, i, initial.dtype, std::move(s));
  }
  const Tensor* m = const_input(graph, node, 0);
  int64_t trips = -1;
  if (m && m->numel() == 1) trips = tensor_ints(*m)[0];
  if (trips < 0 || trips > kMaxStaticTrips) trips = -1;
  for (size_t k = 0; k < sig.scan_outputs; ++k) {
    const Value& out = body.value(body.outputs[1 + sig.carried + k]);
    Shape s = out.shape;
    s.insert(s.begin(), trips);
    set_from(graph, node, sig.carried + k, out, std::move(s));
  }
}

void scan_shape(Graph& graph, const Node& node, const BodyBinder& bind) {
  const LoopSignature sig = loop_signature(graph, node);
  const size_t first = sig.batched ? 1 : 0;  // Scan-8's sequence_lens comes first
  // Scan-8: every tensor carries the batch first, and scanned ones the sequence next.
  const size_t lead = sig.batched ? 1 : 0;
  const std::vector<int64_t> in_axes = node.attr_ints("scan_input_axes", std::vector<int64_t>(sig.scan_inputs, 0));
  const std::vector<int64_t> out_axes = node.attr_ints("scan_output_axes", std::vector<int64_t>(sig.scan_outputs, 0));
  if (in_axes.size() != sig.scan_inputs || out_axes.size() != sig.scan_outputs)
    fail(node.describe(), ": scan_input_axes/scan_output_axes must have one entry per scanned input/output");
  std::vector<InputType> types;
  Shape batch;
  for (size_t i = 0; i < sig.carried; ++i) {
    InputType t = type_of(input_value(graph, node, first + i));
    if (lead && !t.shape.empty()) t.shape.erase(t.shape.begin());
    types.push_back(t);
  }
  int64_t length = -1;
  for (size_t j = 0; j < sig.scan_inputs; ++j) {
    const Value& x = input_value(graph, node, first + sig.carried + j);
    InputType t = type_of(x);
    const int64_t rank = static_cast<int64_t>(x.shape.size());
    const int64_t axis = lead ? 1 : norm_axis(node, in_axes[j], rank);
    if (axis >= rank) fail(node.describe(), ": scanned input '", x.name, "' has rank ", rank);
    if (j == 0) length = x.shape[static_cast<size_t>(axis)];
    if (lead) batch = {x.shape[0]};
    t.shape.erase(t.shape.begin() + axis);
    if (lead) t.shape.erase(t.shape.begin());
    types.push_back(t);
  }
  for (const InputType& t : capture_types(graph, node)) types.push_back(t);
  const Graph body = bind(node.subgraph("body"), types, node);
  if (body.outputs.size() != node.outputs.size())
    fail(node.describe(), ": its body has ", body.outputs.size(), " outputs; the node has ", node.outputs.size());
  for (size_t i = 0; i < sig.carried; ++i) {
    const Value& initial = input_value(graph, node, first + i);
    set_output(graph, node, i, initial.dtype, initial.shape);
  }
  for (size_t k = 0; k < sig.scan_outputs; ++k) {
    const Value& out = body.value(body.outputs[sig.carried + k]);
    Shape s = out.shape;
    const int64_t axis = lead ? 0 : norm_axis(node, out_axes[k], static_cast<int64_t>(s.size()) + 1);
    s.insert(s.begin() + axis, length);
    if (lead) s.insert(s.begin(), batch.empty() ? -1 : batch[0]);
    set_from(graph, node, sig.carried + k, out, std::move(s));
  }
}

// RNN, GRU, LSTM: X [seq, batch, input] (layout 0) or [batch, seq, input] (layout 1).
void recurrent_shape(Graph& graph, const Node& node) {
  const Value& x = input_value(graph, node, 0);
  const Value& w = input_value(graph, node, 1);
  if (x.shape.size() != 3 || w.shape.size() != 3)
    fail(node.describe(), ": X and W must be 3-D, got ", shape_str(x.shape), " and ", shape_str(w.shape));
  const int64_t gates = node.op == OpKind::LSTM ? 4 : node.op == OpKind::GRU ? 3 : 1;
  const int64_t hidden = node.attr_int("hidden_size", w.shape[1] < 0 ? -1 : w.shape[1] / gates);
  const int64_t dirs = node.attr_string("direction", "forward") == "bidirectional" ? 2 : 1;
  const bool batch_first = node.attr_int("layout", 0) == 1;
  const int64_t seq = x.shape[batch_first ? 1 : 0], batch = x.shape[batch_first ? 0 : 1];
  set_output(graph, node, 0, x.dtype, batch_first ? Shape{batch, seq, dirs, hidden} : Shape{seq, dirs, batch, hidden});
  const Shape state = batch_first ? Shape{batch, dirs, hidden} : Shape{dirs, batch, hidden};
  set_output(graph, node, 1, x.dtype, state);
  if (node.op == OpKind::LSTM) set_output(graph, node, 2, x.dtype, state);
}

void control_flow_shape(Graph& graph, const Node& node) {
  infer_control_flow(graph, node, [](const Graph& body, const std::vector<InputType>& types, const Node& owner) {
    return bind_subgraph(body, types, owner, false);
  });
}

}  // namespace

ShapeFn control_flow_shape_fn(OpKind op) {
  switch (op) {
    case OpKind::If: case OpKind::Loop: case OpKind::Scan: return control_flow_shape;
    case OpKind::RNN: case OpKind::GRU: case OpKind::LSTM: return recurrent_shape;
    default: return nullptr;
  }
}

}  // namespace octet::ir::shapes

namespace octet::ir {

void infer_control_flow(Graph& graph, const Node& node, const BodyBinder& bind) {
  switch (node.op) {
    case OpKind::If: return shapes::if_shape(graph, node, bind);
    case OpKind::Loop: return shapes::loop_shape(graph, node, bind);
    case OpKind::Scan: return shapes::scan_shape(graph, node, bind);
    default: fail(node.describe(), ": not a control-flow op");
  }
}

}  // namespace octet::ir
