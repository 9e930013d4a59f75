// Opsets 1-6 -> opset 7 forms at load. What changed at opset 7 for inference is broadcasting:
// binary ops took `broadcast=1` (B's dims aligned to A's starting at `axis`, or trailing
// when no axis) instead of NumPy rules. The rest is attributes that never changed a result.
//
//   Add(A[2,3,4,5], B[3,4], broadcast=1, axis=1)  ->  Add(A, B'[3,4,1])   (B' a reshaped constant)
#include "onnx/legacy_ops.hpp"

#include <onnx/onnx_pb.h>

#include "octet/error.hpp"

namespace octet::onnx_io {
namespace {

using ir::OpKind;

bool legacy_broadcast_op(OpKind op) {
  switch (op) {
    case OpKind::Add: case OpKind::Sub: case OpKind::Mul: case OpKind::Div: case OpKind::Pow:
    case OpKind::And: case OpKind::Or: case OpKind::Xor: case OpKind::Equal: case OpKind::Greater:
    case OpKind::Less: case OpKind::PRelu: case OpKind::Gemm:
      return true;
    default:
      return false;
  }
}

// B aligned to A at `axis`: B's dims followed by ones up to A's rank, as a reshaped constant.
void align_legacy_broadcast(ir::Graph& graph, ir::Node& node, const std::string& where) {
  const int64_t axis = node.attr_int("axis", -1);
  node.attrs.erase("axis");
  if (axis < 0 || node.inputs.size() < 2) return;  // trailing alignment is NumPy's rule
  const ir::Value& a = graph.value(node.inputs[0]);
  const ir::ValueId b_id = node.inputs[1];
  const ir::Value& b = graph.value(b_id);
  if (!a.has_shape || !b.is_constant())
    fail(where, ": broadcast=1 with axis=", axis, " needs A's rank declared and B an initializer to be read");
  const int64_t trailing = static_cast<int64_t>(a.shape.size()) - axis - static_cast<int64_t>(b.shape.size());
  if (trailing < 0) fail(where, ": broadcast axis ", axis, " does not fit B ", shape_str(b.shape), " into A's rank");
  if (trailing == 0) return;
  Tensor t = *b.data;
  t.shape.insert(t.shape.end(), static_cast<size_t>(trailing), 1);
  node.inputs[1] = graph.add_constant(b.name + "_aligned", std::move(t));
}

int64_t cast_code(const std::string& name, const std::string& where) {
  static const std::pair<const char*, int> kNames[] = {
      {"FLOAT", onnx::TensorProto::FLOAT},   {"UINT8", onnx::TensorProto::UINT8},  {"INT8", onnx::TensorProto::INT8},
      {"UINT16", onnx::TensorProto::UINT16}, {"INT16", onnx::TensorProto::INT16},  {"INT32", onnx::TensorProto::INT32},
      {"INT64", onnx::TensorProto::INT64},   {"BOOL", onnx::TensorProto::BOOL},    {"FLOAT16", onnx::TensorProto::FLOAT16},
      {"DOUBLE", onnx::TensorProto::DOUBLE}, {"UINT32", onnx::TensorProto::UINT32}, {"UINT64", onnx::TensorProto::UINT64}};
  for (const auto& [n, code] : kNames)
    if (name == n) return code;
  fail(where, ": Cast to '", name, "' is not a dtype octet knows");
}

}  // namespace

void upgrade_legacy_node(ir::Graph& graph, ir::Node& node, int64_t opset, const std::string& where) {
  if (opset >= 7) return;
  node.attrs.erase("consumed_inputs");
  node.attrs.erase("is_test");
  if (legacy_broadcast_op(node.op)) {
    if (node.attr_int("broadcast", 0) != 0) align_legacy_broadcast(graph, node, where);
    node.attrs.erase("broadcast");
    node.attrs.erase("axis");
  }
  if (node.op == OpKind::Cast && node.has_attr("to") && node.attrs.at("to").kind == ir::Attribute::Kind::kString)
    node.attrs["to"] = ir::Attribute::make_int(cast_code(node.attr_string("to", ""), where));
  if (node.op == OpKind::Reshape && node.has_attr("shape")) {
    const std::vector<int64_t> shape = node.attr_ints("shape");
    node.inputs.resize(1);
    node.inputs.push_back(graph.add_constant(node.name + "_shape", Tensor::from_vector<int64_t>(
                                                                      DType::kInt64, {static_cast<int64_t>(shape.size())}, shape)));
    node.attrs.erase("shape");
  }
  if (node.op == OpKind::Pad && node.has_attr("paddings")) {
    node.attrs["pads"] = node.attrs.at("paddings");
    node.attrs.erase("paddings");
  }
  if (node.op == OpKind::Concat && !node.has_attr("axis")) node.attrs["axis"] = ir::Attribute::make_int(1);
}

}  // namespace octet::onnx_io
