// Per-unit speed costs; see accuracy_aware_speed.hpp. The profiles are node_profile's.
#include "quant/algorithms/accuracy_aware_speed.hpp"

#include <algorithm>

#include "ir/cost.hpp"
#include "octet/error.hpp"
#include "quant/algorithms/measured_placement.hpp"
#include "quant/algorithms/node_profile.hpp"
#include "quant/report_builder.hpp"

namespace octet::quant {
SpeedCosts measure_speed_costs(const ir::Graph& fp32, const ir::Graph& int8, const QuantSetup& setup,
                               const ir::Graph& original, const std::vector<RevertUnit>& units, const std::vector<Tensor>& inputs,
                               const std::string& mode, int threads) {
  if (mode != "auto" && mode != "profile" && mode != "macs")
    fail("accuracy-aware speed measure '", mode, "' is not one of: auto, profile, macs");
  SpeedCosts c;
  c.gain_ms.assign(units.size(), 0.0);
  c.macs.assign(units.size(), 0.0);
  double total_macs = 0;
  for (size_t u = 0; u < units.size(); ++u) {
    c.macs[u] = ir::node_macs(fp32, fp32.nodes[static_cast<size_t>(units[u].node)]);
    total_macs += c.macs[u];
  }
  std::string why_not;
  if (mode != "macs") {
    ProfileOptions profile;  // 20 to 100 runs, within 3 s per plan
    profile.threads = threads;
    profile.budget_seconds = 3.0;
    profile.min_runs = 20;
    const NodeProfile pf = profile_nodes(fp32, original, inputs, profile);
    const NodeProfile pq = profile_nodes(int8, original, inputs, profile);
    // The same attribution as latency-aware placement: a unit's INT8 time carries its share
    // of the conversions at its borders.
    const std::vector<UnitCost> costs =
        attribute_unit_costs(int8, setup, units, std::vector<bool>(units.size(), true), pf, pq);
    double total_gain = 0;
    size_t int8_units = 0;
    for (size_t u = 0; u < units.size(); ++u) {
      if (!costs[u].measured()) continue;
      if (pq.int8.count(units[u].name)) ++int8_units;
      c.gain_ms[u] = std::max(0.0, costs[u].fp32_ms - costs[u].int8_ms);
      total_gain += c.gain_ms[u];
    }
    if (mode == "profile" || (int8_units > 0 && total_gain > 0 && pq.total_ms < pf.total_ms)) {
      c.profiled = true;
      c.share.assign(units.size(), 0.0);
      for (size_t u = 0; u < units.size(); ++u) c.share[u] = total_gain > 0 ? c.gain_ms[u] / total_gain : 0.0;
      c.source = cat("per-node profile (median of ", pq.runs, " batch-1 runs): FP32 ", pf.total_ms, " ms, INT8 ", pq.total_ms,
                     " ms; ", int8_units, " of ", units.size(), " units ran INT8 kernels");
      return c;
    }
    why_not = int8_units == 0 ? cat("no unit ran an INT8 kernel (FP32 ", pf.total_ms, " ms, QDQ ", pq.total_ms,
                                    " ms): Q/DQ run as reference kernels")
                              : cat("the profile shows no INT8 gain (FP32 ", pf.total_ms, " ms, INT8 ", pq.total_ms, " ms)");
  }
  c.share.assign(units.size(), 0.0);
  for (size_t u = 0; u < units.size(); ++u) c.share[u] = total_macs > 0 ? c.macs[u] / total_macs : 0.0;
  c.source = mode == "macs" ? std::string("multiply-accumulates per layer (as asked)")
                            : "multiply-accumulates per layer, because " + why_not;
  return c;
}

}  // namespace octet::quant
