// The rows of fused_activation.def as lookups, and the node attribute reader and writer.
#include "ir/fused_activation.hpp"

#include <iterator>

#include "octet/error.hpp"

namespace octet::ir {
namespace {

constexpr float kFloatLowest = std::numeric_limits<float>::lowest();
constexpr float kFloatMax = std::numeric_limits<float>::max();

struct Row {
  ActivationKind kind;
  const char* name;
  float alpha, beta;
  bool homogeneous;
};

constexpr Row kRows[] = {
    {ActivationKind::kNone, "", 0.0f, 0.0f, true},
#define OCTET_FUSED_ACTIVATION(name, alpha, beta, homogeneous) {ActivationKind::k##name, #name, alpha, beta, homogeneous},
#include "ir/fused_activation.def"
#undef OCTET_FUSED_ACTIVATION
};

static_assert(std::size(kRows) == kActivationKindCount);

const Row& row(ActivationKind kind) { return kRows[static_cast<size_t>(kind)]; }

}  // namespace

bool FusedActivation::positively_homogeneous() const { return row(kind).homogeneous; }

const char* activation_name(ActivationKind kind) { return row(kind).name; }

std::optional<ActivationKind> activation_kind_from_name(std::string_view name) {
  for (const Row& r : kRows)
    if (name == r.name) return r.kind;
  return std::nullopt;
}

FusedActivation default_activation(ActivationKind kind) { return {kind, row(kind).alpha, row(kind).beta}; }

FusedActivation read_fused_activation(const Node& node) {
  const std::string name = node.attr_string("activation", "");
  const std::optional<ActivationKind> kind = activation_kind_from_name(name);
  if (!kind) fail(node.describe(), ": unknown fused activation '", name, "'");
  FusedActivation a = default_activation(*kind);
  a.alpha = node.attr_float("alpha", a.alpha);
  a.beta = node.attr_float("beta", a.beta);
  return a;
}

void write_fused_activation(const FusedActivation& a, Node& node) {
  if (a.none()) {
    for (const char* key : {"activation", "alpha", "beta"}) node.attrs.erase(key);
    return;
  }
  node.attrs["activation"] = Attribute::make_string(activation_name(a.kind));
  node.attrs["alpha"] = Attribute::make_float(a.alpha);
  node.attrs["beta"] = Attribute::make_float(a.beta);
}

}  // namespace octet::ir
