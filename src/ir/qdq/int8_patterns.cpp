// The rows of int8_patterns.def, and lookups by op kind.
#include "ir/qdq/int8_patterns.hpp"

namespace octet::ir::qdq {

const std::vector<Int8Pattern>& int8_patterns() {
  static const std::vector<Int8Pattern> rows = {
#define OCTET_INT8_PATTERN(anchor, family, fuses, becomes) \
  {OpKind::anchor, Int8Family::family, FusedActivations::fuses, OpKind::becomes},
#include "ir/qdq/int8_patterns.def"
#undef OCTET_INT8_PATTERN
  };
  return rows;
}

const Int8Pattern* int8_pattern_of(OpKind op) {
  // Indexed by op kind once: the quantizer and the folder ask for every node.
  static const std::vector<const Int8Pattern*> by_op = [] {
    std::vector<const Int8Pattern*> index;
    for (const Int8Pattern& row : int8_patterns()) {
      const size_t k = static_cast<size_t>(row.anchor);
      if (k >= index.size()) index.resize(k + 1, nullptr);
      index[k] = &row;
    }
    return index;
  }();
  const size_t k = static_cast<size_t>(op);
  return k < by_op.size() ? by_op[k] : nullptr;
}

bool is_int8_family(OpKind op, Int8Family family) {
  const Int8Pattern* row = int8_pattern_of(op);
  return row != nullptr && row->family == family;
}

bool fuses(FusedActivations fusable, OpKind activation) {
  switch (fusable) {
    case FusedActivations::kNone: return false;
    case FusedActivations::kRelu: return activation == OpKind::Relu;
    case FusedActivations::kReluClipLeakyRelu:
      return activation == OpKind::Relu || activation == OpKind::Clip || activation == OpKind::LeakyRelu;
  }
  return false;
}

const char* family_name(Int8Family family) {
  switch (family) {
    case Int8Family::kWeightedLayer: return "weighted layer";
    case Int8Family::kResidualAdd: return "residual add";
    case Int8Family::kAveragePool: return "average pool";
    case Int8Family::kSharedScale: return "shared scale";
    case Int8Family::kMovement: return "data movement";
  }
  return "?";
}

}  // namespace octet::ir::qdq
