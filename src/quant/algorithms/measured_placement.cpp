// Latency-aware placement; see measured_placement.hpp.
//
//   round 0: profile FP32 plan and all-INT8 plan -> per-unit costs -> revert units INT8 does not pay
//   round k: the QDQ graph without them, profiled again -> revert more ... (at most kMaxRounds)
//   result: the fastest round (a later one on a tie: fewer units carry INT8's error)
#include "quant/algorithms/measured_placement.hpp"

#include <cstdio>
#include <map>

#include "octet/engine.hpp"
#include "octet/error.hpp"
#include "quant/transforms/insert_qdq.hpp"

namespace octet::quant {
namespace {

constexpr int kMaxRounds = 4;
// A unit must be 3% faster in INT8 to stay INT8: the spread of one profile's step medians on a
// quiet machine, and less than that is not worth INT8's error.
constexpr double kMinGain = 0.03;
// A later round within 1% of the fastest is taken: as fast, with fewer units in INT8.
constexpr double kRoundTolerance = 0.01;

std::string ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f ms", v);
  return buf;
}

// The unit whose output a node's first input continues, through nodes that are not units
// (a HardSigmoid and Mul the INT8 plan runs after a QConv), or kNoNode.
ir::NodeId upstream_unit(const ir::Graph& g, ir::NodeId start, const std::map<ir::NodeId, size_t>& unit_at) {
  ir::NodeId n = start;
  for (int depth = 0; depth < 16; ++depth) {
    const ir::Node& node = g.nodes[static_cast<size_t>(n)];
    if (node.inputs.empty() || node.input(0) == ir::kNoValue) return ir::kNoNode;
    const ir::NodeId p = g.value(node.input(0)).producer;
    if (p == ir::kNoNode) return ir::kNoNode;
    if (unit_at.count(p)) return p;
    n = p;
  }
  return ir::kNoNode;
}

// The quantizer a QuantizeLinear or DequantizeLinear step belongs to, or -1.
int quantizer_of_step(const ir::Graph& g, const QuantSetup& setup, const ir::Node& node) {
  if (node.inputs.empty()) return -1;
  if (node.op == ir::OpKind::QuantizeLinear) return setup.quantizer_of(node.input(0));
  const ir::NodeId q = g.value(node.input(0)).producer;  // DequantizeLinear reads its Q's output
  if (q == ir::kNoNode) return -1;
  const ir::Node& qn = g.nodes[static_cast<size_t>(q)];
  return qn.op == ir::OpKind::QuantizeLinear && !qn.inputs.empty() ? setup.quantizer_of(qn.input(0)) : -1;
}

QuantSetup setup_without(const ir::Graph& fp32, const QuantSetup& base, const std::vector<RevertUnit>& units,
                         const std::vector<bool>& active, const std::vector<std::string>& reasons) {
  QuantSetup s = base;
  for (size_t u = 0; u < units.size(); ++u) {
    if (active[u]) continue;
    if (units[u].kind == RevertUnit::Kind::kLayer) s.revert_layer(units[u].layer, reasons[u]);
    else revert_unit(s, units[u]);
  }
  drop_orphan_quantizers(fp32, s);
  return s;
}

}  // namespace

std::vector<UnitCost> attribute_unit_costs(const ir::Graph& qdq, const QuantSetup& setup,
                                           const std::vector<RevertUnit>& units, const std::vector<bool>& active,
                                           const NodeProfile& fp32, const NodeProfile& int8) {
  std::vector<UnitCost> costs(units.size());
  // By name: insert_qdq keeps the graph topologically sorted, so node ids move.
  std::map<std::string, ir::NodeId> node_named;
  for (size_t i = 0; i < qdq.nodes.size(); ++i) node_named[qdq.nodes[i].name] = static_cast<ir::NodeId>(i);
  std::map<ir::NodeId, size_t> unit_at;        // qdq node -> active unit
  std::map<int, std::vector<size_t>> readers;  // quantizer -> active units reading it
  for (size_t u = 0; u < units.size(); ++u) {
    if (!active[u]) continue;
    if (auto n = node_named.find(units[u].name); n != node_named.end()) unit_at[n->second] = u;
    for (int q : units[u].quantizers) readers[q].push_back(u);
    if (auto f = fp32.ms.find(units[u].name); f != fp32.ms.end()) costs[u].fp32_ms = f->second;
    if (auto q = int8.ms.find(units[u].name); q != int8.ms.end()) costs[u].int8_ms = q->second;
  }
  for (const auto& [name, step_ms] : int8.ms) {
    auto found = node_named.find(name);
    if (found == node_named.end() || unit_at.count(found->second)) continue;
    const ir::Node& node = qdq.nodes[static_cast<size_t>(found->second)];
    if (node.op == ir::OpKind::QuantizeLinear || node.op == ir::OpKind::DequantizeLinear) {
      auto r = readers.find(quantizer_of_step(qdq, setup, node));
      if (r == readers.end()) continue;
      for (size_t u : r->second) costs[u].int8_ms += step_ms / static_cast<double>(r->second.size());
    } else if (!fp32.ms.count(name)) {
      const ir::NodeId up = upstream_unit(qdq, found->second, unit_at);
      if (up != ir::kNoNode) costs[unit_at.at(up)].int8_ms += step_ms;
    }
  }
  return costs;
}

bool int8_does_not_pay(const UnitCost& cost, double min_gain) {
  return cost.measured() && cost.int8_ms > cost.fp32_ms * (1.0 - min_gain);
}

void measured_placement(const ir::Graph& fp32, QuantSetup& setup, ir::Graph& qdq, const ir::Graph& original,
                        const std::vector<Tensor>& sample, const QuantizeOptions& options, QuantizeReport& report) {
  PlacementReport& placement = report.placement;
  placement.mode = placement_name(options.placement);
  if (options.placement == Placement::kAll) return;
  const std::vector<RevertUnit> units = revert_units(fp32, setup);
  if (units.empty()) return;
  placement.cpu = cpu_info().describe();

  ProfileOptions profile;
  profile.threads = options.threads;
  profile.budget_seconds = 0.5;
  const NodeProfile pf = profile_nodes(fp32, original, sample, profile);
  placement.fp32_ms = pf.total_ms;
  placement.threads = pf.threads;

  const QuantSetup base = setup;
  std::vector<bool> active(units.size(), true);
  std::vector<std::string> reasons(units.size());
  std::vector<UnitCost> decided(units.size());  // the costs a reverted unit was reverted on
  struct Round {
    std::vector<bool> active;
    std::vector<UnitCost> costs;
    double total_ms = 0;
  };
  std::vector<Round> rounds;
  ir::Graph current = qdq;
  QuantSetup current_setup = base;
  for (int r = 0; r < kMaxRounds; ++r) {
    const NodeProfile pq = profile_nodes(current, original, sample, profile);
    rounds.push_back({active, attribute_unit_costs(current, current_setup, units, active, pf, pq), pq.total_ms});
    if (r == kMaxRounds - 1) break;
    bool reverted = false;
    for (size_t u = 0; u < units.size(); ++u) {
      const UnitCost& c = rounds.back().costs[u];
      if (!active[u] || !int8_does_not_pay(c, kMinGain)) continue;
      active[u] = false;
      decided[u] = c;
      reasons[u] = cat("kept FP32: INT8 ", ms(c.int8_ms), " (its conversions included) vs FP32 ", ms(c.fp32_ms),
                       " on this CPU");
      reverted = true;
    }
    if (!reverted) break;
    current_setup = setup_without(fp32, base, units, active, reasons);
    current = insert_qdq(fp32, current_setup);
  }
  placement.rounds = static_cast<int>(rounds.size());
  placement.all_int8_ms = rounds.front().total_ms;
  size_t best = 0;
  for (size_t r = 1; r < rounds.size(); ++r)
    if (rounds[r].total_ms <= rounds[best].total_ms * (1.0 + kRoundTolerance)) best = r;
  std::vector<bool> chosen = rounds[best].active;
  placement.chosen_ms = rounds[best].total_ms;
  if (rounds[best].total_ms >= pf.total_ms) {
    // INT8 pays nowhere on this CPU: the model goes back to FP32 rather than out slower.
    chosen.assign(units.size(), false);
    for (size_t u = 0; u < units.size(); ++u)
      reasons[u] = cat("kept FP32: no INT8 placement beat FP32 on this CPU (FP32 ", ms(pf.total_ms), ", fastest INT8 ",
                       ms(rounds[best].total_ms), ")");
    placement.chosen_ms = pf.total_ms;
    report.warnings.push_back(cat("INT8 was not faster than FP32 on this CPU (", placement.cpu, "): FP32 ",
                                  ms(pf.total_ms), ", every unit INT8 ", ms(placement.all_int8_ms), ", fastest placement ",
                                  ms(rounds[best].total_ms), "; the model is left in FP32 (--placement all forces INT8)"));
  }
  for (size_t u = 0; u < units.size(); ++u) {
    PlacementUnitReport unit;
    unit.node = units[u].name;
    unit.op = units[u].op;
    unit.int8 = chosen[u];
    const UnitCost& c = rounds[best].active[u] ? rounds[best].costs[u] : decided[u];
    if (c.measured()) {
      unit.fp32_ms = c.fp32_ms;
      unit.int8_ms = c.int8_ms;
    }
    if (!chosen[u]) unit.reason = reasons[u];
    placement.units.push_back(std::move(unit));
  }
  setup = setup_without(fp32, base, units, chosen, reasons);
  qdq = insert_qdq(fp32, setup);
}

}  // namespace octet::quant
