// ONNX's own rules, from the schema registry libonnx ships: one source of truth for which op
// exists at which opset and what attributes it takes, so octet keeps no copy of those tables.
#include "onnx/schema_check.hpp"

#include <onnx/defs/schema.h>

#include "octet/error.hpp"

namespace octet::onnx_io {
namespace {

// IR versions 1 to 10: up to 8 is what this libonnx writes; 9 and 10 only add element types
// (float8, int4), which the tensor decoder refuses one by one, so their files still parse.
// Higher numbers are formats nobody has defined yet.
constexpr int64_t kMaxIrVersion = 10;

// The highest default-domain opset the registry describes. A model of a later opset (read
// by octet's own rules) cannot be checked against it: ops changed signature since.
int registry_max_opset() {
  const auto& range = onnx::OpSchemaRegistry::DomainToVersionRange::Instance().Map();
  auto it = range.find(onnx::ONNX_DOMAIN);
  return it == range.end() ? 0 : it->second.second;
}

// The first opset (above `opset`) where ONNX defines `op`, or -1.
int first_opset_of(const std::string& op, int64_t opset, int max_opset) {
  for (int v = static_cast<int>(opset) + 1; v <= max_opset; ++v)
    if (onnx::OpSchemaRegistry::Schema(op, v, onnx::ONNX_DOMAIN)) return v;
  return -1;
}

}  // namespace

void check_ir_version(const onnx::ModelProto& model, const std::string& origin) {
  const int64_t ir = model.ir_version();
  if (ir < 1) fail(origin, ": the model sets no IR version (ONNX requires ir_version)");
  if (ir > kMaxIrVersion)
    fail(origin, ": IR version ", ir, " is not one octet reads (it reads IR versions 1 to ", kMaxIrVersion, ")");
}

void check_node_schema(const onnx::NodeProto& node, int64_t opset, const std::string& where) {
  const int max_opset = registry_max_opset();
  if (opset > max_opset) return;
  const std::string& op = node.op_type();
  const onnx::OpSchema* schema = onnx::OpSchemaRegistry::Schema(op, static_cast<int>(opset), onnx::ONNX_DOMAIN);
  if (!schema) {
    const int first = first_opset_of(op, opset, max_opset);
    if (first < 0 && !onnx::OpSchemaRegistry::Schema(op, onnx::ONNX_DOMAIN)) return;  // not an ONNX op at all
    fail(where, ": ", op, " does not exist at opset ", opset, first > 0 ? cat(" (ONNX defines it from opset ", first, ")") : "");
  }
  if (schema->Deprecated())
    fail(where, ": ", op, " is deprecated since opset ", schema->since_version(), " and does not exist at opset ", opset);
  try {
    schema->Verify(node);
  } catch (const std::exception& e) {
    fail(where, ": breaks the ONNX schema of ", op, "-", schema->since_version(), ": ", e.what());
  }
}

}  // namespace octet::onnx_io
