// OpKind: the enum generated from ops.def, and name lookups in both directions.
#pragma once
#include <optional>
#include <string_view>
#include <vector>

namespace octet::ir {

enum class OpKind : uint16_t {
#define OCTET_ONNX_OP(name) name,
#define OCTET_INTERNAL_OP(name) name,
#include "ir/ops.def"
#undef OCTET_ONNX_OP
#undef OCTET_INTERNAL_OP
};

const char* op_name(OpKind op);
bool op_is_internal(OpKind op);
// Looks up an ONNX op type (standard domain) by name; nullopt if octet does not know it.
std::optional<OpKind> onnx_op_from_name(std::string_view name);
// Looks up an internal op (domain "octet") by name.
std::optional<OpKind> internal_op_from_name(std::string_view name);
std::vector<OpKind> all_op_kinds();

}  // namespace octet::ir
