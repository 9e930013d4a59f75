// Name tables generated from ops.def.
#include "ir/op_kind.hpp"

#include <string>

namespace octet::ir {
namespace {

struct OpInfo {
  const char* name;
  bool internal;
};

constexpr OpInfo kOps[] = {
#define OCTET_ONNX_OP(name) {#name, false},
#define OCTET_INTERNAL_OP(name) {#name, true},
#include "ir/ops.def"
#undef OCTET_ONNX_OP
#undef OCTET_INTERNAL_OP
};

constexpr size_t kOpCount = sizeof(kOps) / sizeof(kOps[0]);

std::optional<OpKind> find(std::string_view name, bool internal) {
  for (size_t i = 0; i < kOpCount; ++i)
    if (kOps[i].internal == internal && name == kOps[i].name) return static_cast<OpKind>(i);
  return std::nullopt;
}

}  // namespace

const char* op_name(OpKind op) { return kOps[static_cast<size_t>(op)].name; }
bool op_is_internal(OpKind op) { return kOps[static_cast<size_t>(op)].internal; }
std::optional<OpKind> onnx_op_from_name(std::string_view name) { return find(name, false); }
std::optional<OpKind> internal_op_from_name(std::string_view name) { return find(name, true); }

std::vector<OpKind> all_op_kinds() {
  std::vector<OpKind> ops;
  for (size_t i = 0; i < kOpCount; ++i) ops.push_back(static_cast<OpKind>(i));
  return ops;
}

}  // namespace octet::ir
