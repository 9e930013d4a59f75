// What the accuracy-aware search can return to FP32, and how a point of the search (a set of
// reverted units plus per-tensor range overrides) turns DefaultQuantization's setup into the
// setup to insert Q/DQ from. Rebuilding from the base each time makes undo trivial: drop the
// unit from the set.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "quant/algorithms/quant_setup.hpp"

namespace octet::quant {

// One revertible unit: a quantized layer (its weights and its activation inputs), or the
// scale-sharing quantizers at a pool/Concat/Add node that lets that op run in INT8.
struct RevertUnit {
  enum class Kind : uint8_t { kLayer, kGroup };
  Kind kind = Kind::kLayer;
  size_t layer = 0;                   // index in setup.layers (kLayer)
  ir::NodeId node = ir::kNoNode;      // the layer, or the pool/Concat/Add node
  std::string name;                   // node name, for reports
  std::string op;
  std::vector<int> quantizers;        // activation quantizers it reads through (tuning acts on these)
};

// The units of a filled setup: every quantized layer, then every node that reads Q/DQ outputs
// without being a layer (the scale-sharing rules), in graph order.
std::vector<RevertUnit> revert_units(const ir::Graph& graph, const QuantSetup& setup);

// A range chosen for one scale-sharing component of quantizers (see component_of).
struct RangeOverride {
  std::string estimator;  // for the report
  Range range;
};

struct SearchPoint {
  std::set<size_t> reverted;              // indices into the unit list
  std::map<int, RangeOverride> ranges;    // quantizer index -> its component's new range
};

// The base setup with the point applied: overridden ranges (and parameters) on their whole
// components, reverted units' uses removed, then orphaned scale-sharing quantizers dropped.
QuantSetup apply_point(const ir::Graph& graph, const QuantSetup& base, const std::vector<RevertUnit>& units,
                       const SearchPoint& point, QuantPreset preset);

// Removes one unit from a setup (a layer back to FP32 weights and FP32 inputs; a group's Q/DQ
// uses at its pool/Concat/Add node). Other readers of the same tensors keep their Q/DQ.
void revert_unit(QuantSetup& setup, const RevertUnit& unit);

// Drops uses of quantizers at pools/Concat/Add whose output no longer reaches an INT8
// consumer: a Q/DQ there only adds error once the layer after it is FP32. Repeats until stable
// (a Concat feeding a pool feeding a reverted layer).
void drop_orphan_quantizers(const ir::Graph& graph, QuantSetup& setup);

// Quantizer indices that must share one scale with q (q included), through setup.groups.
std::vector<int> component_of(const QuantSetup& setup, int q);

// Whether a node is one of the setup's layers (quantized or not).
bool is_layer_node(const QuantSetup& setup, ir::NodeId node);

}  // namespace octet::quant
