// FusedActivation: the activation attribute of FusedConv, FullyConnected and the INT8 ops as
// an enum generated from fused_activation.def, read from a node once. Below the graph IR
// nothing compares activation names: kernels switch on the kind.
#pragma once
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>

#include "ir/graph.hpp"

namespace octet::ir {

enum class ActivationKind : uint8_t {
  kNone,
#define OCTET_FUSED_ACTIVATION(name, alpha, beta, homogeneous) k##name,
#include "ir/fused_activation.def"
#undef OCTET_FUSED_ACTIVATION
};
// kNone and one per row.
inline constexpr int kActivationKindCount = 1
#define OCTET_FUSED_ACTIVATION(name, alpha, beta, homogeneous) +1
#include "ir/fused_activation.def"
#undef OCTET_FUSED_ACTIVATION
    ;

struct FusedActivation {
  ActivationKind kind = ActivationKind::kNone;
  float alpha = 0.0f, beta = 0.0f;

  bool none() const { return kind == ActivationKind::kNone; }
  bool positively_homogeneous() const;
};

// The attribute value ("" for kNone), and back (nullopt for an unknown name).
const char* activation_name(ActivationKind kind);
std::optional<ActivationKind> activation_kind_from_name(std::string_view name);
// `kind` with its default alpha and beta.
FusedActivation default_activation(ActivationKind kind);

// Reads "activation", "alpha", "beta" (absent ones at their defaults); throws naming the node
// for an activation octet does not know.
FusedActivation read_fused_activation(const Node& node);
// Whether the node carries a fused activation (without parsing it).
inline bool has_fused_activation(const Node& node) { return !node.attr_string("activation", "").empty(); }
// Sets the three attributes (removes them for kNone).
void write_fused_activation(const FusedActivation& activation, Node& node);

// The activation of one value, as the reference kernels compute it.
inline float apply_activation(const FusedActivation& a, float v) {
  switch (a.kind) {
    case ActivationKind::kNone: return v;
    case ActivationKind::kRelu: return v > 0.0f ? v : 0.0f;
    case ActivationKind::kLeakyRelu: return v >= 0.0f ? v : a.alpha * v;
    case ActivationKind::kClip: return std::min(std::max(v, a.alpha), a.beta);
    case ActivationKind::kSigmoid: return 1.0f / (1.0f + std::exp(-v));
    case ActivationKind::kHardSigmoid: return std::max(0.0f, std::min(1.0f, a.alpha * v + a.beta));
    case ActivationKind::kHardSwish: return v * std::max(0.0f, std::min(1.0f, v / 6.0f + 0.5f));
    case ActivationKind::kTanh: return std::tanh(v);
    case ActivationKind::kSwish: return v / (1.0f + std::exp(-v));
    case ActivationKind::kGelu: return 0.5f * v * (1.0f + std::erf(v * 0.70710678118654752f));
  }
  return v;
}

}  // namespace octet::ir
