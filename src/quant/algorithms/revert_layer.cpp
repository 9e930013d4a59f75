// Revert units and search points; see revert_layer.hpp.
//
//   x -> Q/DQ -> conv (INT8)        revert conv:      x ---------> conv (FP32 weights, bias)
//        \-> Q/DQ -> other                            x -> Q/DQ -> other   (keeps its pair)
#include "quant/algorithms/revert_layer.hpp"

#include <algorithm>
#include <numeric>

#include "ir/qdq/int8_patterns.hpp"
#include "octet/error.hpp"

namespace octet::quant {
namespace {

using ir::OpKind;

// Ops an INT8 tensor passes through unchanged in scale (mirrors select_quantizers' rules).
bool passes_scale(OpKind op) {
  switch (op) {
    case OpKind::Reshape: case OpKind::Flatten: case OpKind::Squeeze: case OpKind::Unsqueeze:
    case OpKind::Transpose: case OpKind::Identity: case OpKind::Dropout: case OpKind::Relu: case OpKind::Clip:
      return true;
    default:
      return false;
  }
}

// True if a quantizer with readers sits on v or after it through scale-preserving ops.
bool reaches_quantizer(const ir::Graph& g, const QuantSetup& setup, const std::vector<std::vector<ir::NodeId>>& users,
                       ir::ValueId start) {
  std::vector<ir::ValueId> todo = {start};
  std::set<ir::ValueId> seen;
  while (!todo.empty()) {
    const ir::ValueId v = todo.back();
    todo.pop_back();
    if (v == ir::kNoValue || !seen.insert(v).second) continue;
    const int q = setup.quantizer_of(v);
    if (q >= 0 && !setup.activations[static_cast<size_t>(q)].uses.empty()) return true;
    for (ir::NodeId u : users[static_cast<size_t>(v)]) {
      const ir::Node& n = g.nodes[static_cast<size_t>(u)];
      if (passes_scale(n.op) && n.input(0) == v && !n.outputs.empty()) todo.push_back(n.outputs[0]);
    }
  }
  return false;
}

}  // namespace

bool is_layer_node(const QuantSetup& setup, ir::NodeId node) {
  return std::any_of(setup.layers.begin(), setup.layers.end(), [&](const LayerQuantizer& l) { return l.node == node; });
}

std::vector<RevertUnit> revert_units(const ir::Graph& g, const QuantSetup& setup) {
  std::vector<RevertUnit> units;
  for (size_t i = 0; i < setup.layers.size(); ++i) {
    const LayerQuantizer& layer = setup.layers[i];
    if (!layer.quantized) continue;
    const ir::Node& n = g.nodes[static_cast<size_t>(layer.node)];
    RevertUnit u;
    u.kind = RevertUnit::Kind::kLayer;
    u.layer = i;
    u.node = layer.node;
    u.name = n.name;
    u.op = ir::op_name(n.op);
    for (int q : layer.activations)  // a FusedConv's input and Sum may read one quantizer
      if (std::find(u.quantizers.begin(), u.quantizers.end(), q) == u.quantizers.end()) u.quantizers.push_back(q);
    units.push_back(std::move(u));
  }
  // Nodes reading Q/DQ outputs that are not layers: pools, Concat, residual Add. Not data
  // movement: moving quantized values is exact, so reverting one could only cost speed (its
  // pairs go with the layers they serve, as orphans).
  std::map<ir::NodeId, std::vector<int>> group_nodes;
  for (size_t q = 0; q < setup.activations.size(); ++q)
    for (const auto& [node, input] : setup.activations[q].uses)
      if (!is_layer_node(setup, node) &&
          !ir::qdq::is_int8_family(g.nodes[static_cast<size_t>(node)].op, ir::qdq::Int8Family::kMovement)) {
        auto& list = group_nodes[node];
        if (std::find(list.begin(), list.end(), static_cast<int>(q)) == list.end()) list.push_back(static_cast<int>(q));
      }
  for (const auto& [node, quantizers] : group_nodes) {
    const ir::Node& n = g.nodes[static_cast<size_t>(node)];
    RevertUnit u;
    u.kind = RevertUnit::Kind::kGroup;
    u.node = node;
    u.name = n.name;
    u.op = ir::op_name(n.op);
    u.quantizers = quantizers;
    units.push_back(std::move(u));
  }
  return units;
}

void revert_unit(QuantSetup& setup, const RevertUnit& unit) {
  if (unit.kind == RevertUnit::Kind::kLayer) {
    if (setup.layers.at(unit.layer).quantized) setup.revert_layer(unit.layer, "returned to FP32 by the accuracy-aware search");
    return;
  }
  for (ActivationQuantizer& a : setup.activations)
    a.uses.erase(std::remove_if(a.uses.begin(), a.uses.end(), [&](const auto& use) { return use.first == unit.node; }),
                 a.uses.end());
}

void drop_orphan_quantizers(const ir::Graph& g, QuantSetup& setup) {
  const auto users = g.consumers();
  for (bool changed = true; changed;) {
    changed = false;
    for (ActivationQuantizer& a : setup.activations) {
      for (size_t k = 0; k < a.uses.size();) {
        const ir::NodeId node = a.uses[k].first;
        const ir::Node& n = g.nodes[static_cast<size_t>(node)];
        if (is_layer_node(setup, node) || n.outputs.empty() || reaches_quantizer(g, setup, users, n.outputs[0])) {
          ++k;
          continue;
        }
        a.uses.erase(a.uses.begin() + static_cast<std::ptrdiff_t>(k));
        changed = true;
      }
    }
  }
}

std::vector<int> component_of(const QuantSetup& setup, int q) {
  std::vector<int> members = {q};
  for (bool grew = true; grew;) {
    grew = false;
    for (const UnifyGroup& group : setup.groups) {
      const bool touches = std::any_of(group.members.begin(), group.members.end(), [&](int m) {
        return std::find(members.begin(), members.end(), m) != members.end();
      });
      if (!touches) continue;
      for (int m : group.members)
        if (std::find(members.begin(), members.end(), m) == members.end()) {
          members.push_back(m);
          grew = true;
        }
    }
  }
  std::sort(members.begin(), members.end());
  return members;
}

QuantSetup apply_point(const ir::Graph& g, const QuantSetup& base, const std::vector<RevertUnit>& units,
                       const SearchPoint& point, QuantPreset preset) {
  QuantSetup setup = base;
  for (const auto& [q, override_range] : point.ranges)
    for (int m : component_of(setup, q)) {
      ActivationQuantizer& a = setup.activations.at(static_cast<size_t>(m));
      a.range = override_range.range;
      a.params = activation_qparams(a.range, preset);
      a.estimator = override_range.estimator + " (accuracy-aware tuning)";
    }
  for (size_t u : point.reverted) revert_unit(setup, units.at(u));
  drop_orphan_quantizers(g, setup);
  return setup;
}

}  // namespace octet::quant
