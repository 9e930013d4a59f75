// Raises a graph to opset 13 when its QDQ nodes need it: QuantizeLinear/DequantizeLinear
// exist from opset 10 and take per-axis scales (an "axis" attribute) from 13. The ops whose
// signature changed between the graph's opset and 13 are rewritten:
//
//   Squeeze, Unsqueeze, ReduceSum (< 13), Split (< 13): axes/split attribute -> int64 input
//   Softmax, LogSoftmax, Hardmax (< 13): the old "flatten to 2-D at axis" semantics are kept
//     by Reshape -> op(axis = -1) -> Reshape when the axis is not the last dim (static shape)
//   Clip (< 11): min/max attributes -> inputs;   Pad (< 11): pads/value -> inputs
//   Slice (< 10): starts/ends/axes -> inputs;    TopK (< 10): k -> input
//   Dropout (< 12): ratio attribute -> input;    BatchNormalization (< 9): spatial=1 dropped
//   Upsample -> Resize(asymmetric, nearest floor), which is what Upsample computed
//
// Anything else that changed meaning (Resize-10, BatchNormalization spatial=0, training-mode
// outputs) is refused with an error naming the node.
#include <limits>

#include "octet/error.hpp"
#include "onnx/writer.hpp"

namespace octet::onnx_io {
namespace {

using ir::OpKind;
using ir::ValueId;

constexpr int64_t kTarget = 13;

ValueId ints_input(ir::Graph& g, const ir::Node& node, const std::string& what, const std::vector<int64_t>& v) {
  return g.add_constant(node.name + "_" + what,
                        Tensor::from_vector<int64_t>(DType::kInt64, {static_cast<int64_t>(v.size())}, v));
}

ValueId float_input(ir::Graph& g, const ir::Node& node, const std::string& what, float v) {
  return g.add_constant(node.name + "_" + what, Tensor::from_vector<float>(DType::kFloat32, {}, {v}));
}

// Moves an int-list attribute into input `index` (filling gaps with kNoValue).
void attr_to_input(ir::Graph& g, size_t n, const std::string& attr, size_t index) {
  if (!g.nodes[n].has_attr(attr)) return;
  const std::vector<int64_t> v = g.nodes[n].attr_ints(attr);
  const ValueId id = ints_input(g, g.nodes[n], attr, v);
  ir::Node& node = g.nodes[n];
  node.attrs.erase(attr);
  node.inputs.resize(std::max(node.inputs.size(), index + 1), ir::kNoValue);
  node.inputs[index] = id;
}

// Softmax family before 13: softmax over the flattened dims from `axis` on.
void upgrade_softmax(ir::Graph& g, size_t n, int64_t from) {
  const ir::Node node = g.nodes[n];
  const ir::Value& x = g.value(node.input(0));
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = node.attr_int("axis", 1);
  if (!x.has_shape) fail(node.describe(), ": cannot raise it to opset 13 without knowing its input's rank");
  if (axis < 0) axis += rank;
  bool trailing_ones = true;
  for (int64_t d = axis + 1; d < rank; ++d) trailing_ones = trailing_ones && x.shape[static_cast<size_t>(d)] == 1;
  if (axis == rank - 1 || trailing_ones) {
    g.nodes[n].attrs["axis"] = ir::Attribute::make_int(axis);  // same meaning in opset 13
    return;
  }
  for (int64_t d : x.shape)
    if (d < 0) fail(node.describe(), ": raising it to opset 13 needs a static input shape, got ", shape_str(x.shape));
  const int64_t rows = shape_numel(Shape(x.shape.begin(), x.shape.begin() + axis));
  const Shape original = x.shape;
  ir::Value flat;
  flat.name = g.unique_value_name(node.name + "_2d");
  flat.dtype = x.dtype;
  flat.shape = {rows, shape_numel(original) / std::max<int64_t>(rows, 1)};
  flat.has_shape = true;
  flat.dim_params.assign(2, "");
  ir::Value soft = flat;
  soft.name = g.unique_value_name(node.name + "_2d_out");
  const ValueId flat_id = g.add_value(flat);
  const ValueId soft_id = g.add_value(soft);
  const ValueId shape_2d = ints_input(g, node, "shape_2d", flat.shape);
  const ValueId shape_back = ints_input(g, node, "shape_back", original);
  ir::Node pre;
  pre.name = g.unique_node_name(node.name + "_reshape_2d");
  pre.op = OpKind::Reshape;
  pre.inputs = {node.inputs[0], shape_2d};
  pre.outputs = {flat_id};
  ir::Node post;
  post.name = g.unique_node_name(node.name + "_reshape_back");
  post.op = OpKind::Reshape;
  post.inputs = {soft_id, shape_back};
  post.outputs = {node.outputs[0]};
  g.nodes[n].inputs[0] = flat_id;
  g.nodes[n].outputs[0] = soft_id;
  g.nodes[n].attrs["axis"] = ir::Attribute::make_int(-1);
  g.value(soft_id).producer = static_cast<ir::NodeId>(n);
  g.add_node(std::move(pre));
  g.add_node(std::move(post));
}

void upgrade_node(ir::Graph& g, size_t n, int64_t from) {
  const ir::Node& node = g.nodes[n];
  switch (node.op) {
    case OpKind::Squeeze: case OpKind::Unsqueeze: case OpKind::ReduceSum:
      if (from < 13) attr_to_input(g, n, "axes", 1);
      return;
    case OpKind::Split:
      if (from < 13) attr_to_input(g, n, "split", 1);
      return;
    case OpKind::Softmax: case OpKind::LogSoftmax: case OpKind::Hardmax:
      if (from < 13) upgrade_softmax(g, n, from);
      return;
    case OpKind::Clip:
      if (from < 11) {
        const float lo = node.attr_float("min", std::numeric_limits<float>::lowest());
        const float hi = node.attr_float("max", std::numeric_limits<float>::max());
        const ValueId lo_id = float_input(g, node, "min", lo), hi_id = float_input(g, g.nodes[n], "max", hi);
        ir::Node& clip = g.nodes[n];
        clip.attrs.erase("min");
        clip.attrs.erase("max");
        clip.inputs = {clip.inputs.at(0), lo_id, hi_id};
      }
      return;
    case OpKind::Pad:
      if (from < 11) {
        const float value = node.attr_float("value", 0.0f);
        attr_to_input(g, n, "pads", 1);
        const ValueId v = float_input(g, g.nodes[n], "value", value);
        g.nodes[n].attrs.erase("value");
        g.nodes[n].inputs.resize(3, ir::kNoValue);
        g.nodes[n].inputs[2] = v;
      }
      return;
    case OpKind::Slice:
      if (from < 10) {
        attr_to_input(g, n, "starts", 1);
        attr_to_input(g, n, "ends", 2);
        attr_to_input(g, n, "axes", 3);
      }
      return;
    case OpKind::TopK:
      if (from < 10) {
        const ValueId k = ints_input(g, node, "k", {node.attr_int("k", 0)});
        g.nodes[n].attrs.erase("k");
        g.nodes[n].inputs.resize(2, ir::kNoValue);
        g.nodes[n].inputs[1] = k;
      }
      return;
    case OpKind::Dropout:
      if (from < 12 && node.has_attr("ratio")) {
        const ValueId r = float_input(g, node, "ratio", node.attr_float("ratio", 0.5f));
        g.nodes[n].attrs.erase("ratio");
        g.nodes[n].inputs.resize(2, ir::kNoValue);
        g.nodes[n].inputs[1] = r;
      }
      return;
    case OpKind::BatchNormalization:
      if (from < 9 && node.attr_int("spatial", 1) != 1)
        fail(node.describe(), ": spatial=0 has no opset-13 form; cannot raise the opset for QDQ");
      g.nodes[n].attrs.erase("spatial");
      for (size_t i = 1; i < node.outputs.size(); ++i)
        if (node.outputs[i] != ir::kNoValue)
          fail(node.describe(), ": training-mode outputs cannot be raised to opset 13");
      return;
    case OpKind::Upsample: {
      // Upsample's nearest picks floor(out / scale): Resize with asymmetric coordinates and
      // floor rounding; its linear mode is Resize's linear with asymmetric coordinates.
      const std::string mode = node.attr_string("mode", "nearest");
      ValueId scales = node.input(1);
      if (from < 9) {
        const auto s = node.attr_floats("scales");
        scales = g.add_constant(node.name + "_scales",
                                Tensor::from_vector<float>(DType::kFloat32, {static_cast<int64_t>(s.size())}, s));
      }
      ir::Node& up = g.nodes[n];
      up.op = OpKind::Resize;
      up.attrs.clear();
      up.attrs["mode"] = ir::Attribute::make_string(mode == "bilinear" ? "linear" : mode);
      up.attrs["coordinate_transformation_mode"] = ir::Attribute::make_string("asymmetric");
      up.attrs["nearest_mode"] = ir::Attribute::make_string("floor");
      up.inputs = {up.inputs.at(0), ir::kNoValue, scales};
      return;
    }
    case OpKind::Resize:
      if (from < 11)
        fail(node.describe(), ": Resize-10 cannot be raised to opset 13 (its coordinate rule differs)");
      return;
    default:
      return;
  }
}

bool per_axis(const ir::Graph& g, const ir::Node& node) {
  const ir::Value& scale = g.value(node.inputs.at(1));
  return scale.has_shape && shape_numel(scale.shape) > 1;
}

// Every node of the graph and of its subgraphs (which share the model's opset) from `from`
// to kTarget.
void upgrade_graph(ir::Graph& graph, int64_t from) {
  const size_t count = graph.nodes.size();
  for (size_t n = 0; n < count; ++n) {
    if (graph.nodes[n].dead) continue;
    upgrade_node(graph, n, from);
    for (auto& [key, a] : graph.nodes[n].attrs) {
      if (a.kind != ir::Attribute::Kind::kGraph) continue;
      auto body = std::make_shared<ir::Graph>(*a.graph);
      upgrade_graph(*body, from);
      a.graph = std::move(body);
    }
  }
  graph.opset = kTarget;
}

}  // namespace

void raise_opset_to_13(ir::Graph& graph) {
  if (graph.opset >= kTarget) return;
  upgrade_graph(graph, graph.opset);  // subgraphs (If, Loop, Scan bodies) too
}

void upgrade_opset_for_qdq(ir::Graph& graph) {
  bool needed = false;
  for (const ir::Node& node : graph.nodes) {
    if (node.dead || (node.op != OpKind::QuantizeLinear && node.op != OpKind::DequantizeLinear)) continue;
    needed = needed || graph.opset < 10 || (graph.opset < kTarget && per_axis(graph, node));
  }
  if (needed) raise_opset_to_13(graph);
}

}  // namespace octet::onnx_io
