// Latency-aware placement: at quantize time octet has the engine and the machine, so it times
// each quantizable unit in INT8 and in FP32, the conversions at its borders included, and keeps
// a unit FP32 where INT8 does not pay on this CPU (an INT8 fully connected layer that oneDNN
// runs as a plain gemm on AVX2, a depthwise convolution whose float neighbours cost a
// quantize step each). Measured per round: reverting a unit moves conversions onto its
// neighbours, so the next round times the new graph.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "octet/quantize.hpp"
#include "quant/algorithms/node_profile.hpp"
#include "quant/algorithms/quant_setup.hpp"
#include "quant/algorithms/revert_layer.hpp"

namespace octet::quant {

struct UnitCost {
  double fp32_ms = std::numeric_limits<double>::quiet_NaN();  // its node in the FP32 plan
  double int8_ms = std::numeric_limits<double>::quiet_NaN();  // its node + its conversions in the QDQ plan
  bool measured() const { return fp32_ms == fp32_ms && int8_ms == int8_ms; }
};

// Per unit, from profiles of the FP32 graph and of `qdq` (insert_qdq of `setup`): the unit's
// node time in each; to the INT8 side are added an even share of every QuantizeLinear and
// DequantizeLinear step feeding a quantizer the unit reads, and the float steps the QDQ plan
// runs after it that the FP32 plan fused away (an activation INT8 could not fuse). A unit
// whose node the FP32 plan fused into another keeps NaN: there is nothing to compare.
std::vector<UnitCost> attribute_unit_costs(const ir::Graph& qdq, const QuantSetup& setup,
                                           const std::vector<RevertUnit>& units, const std::vector<bool>& active,
                                           const NodeProfile& fp32, const NodeProfile& int8);

// Whether INT8 does not pay for a unit: not at least `min_gain` (a fraction) faster than FP32.
// Gains below it are within one profile's noise and not worth INT8's error.
bool int8_does_not_pay(const UnitCost& cost, double min_gain);

// Reverts the units where INT8 does not pay, over up to a few measured rounds, keeping the
// round whose QDQ plan is fastest; rebuilds `qdq` from the chosen setup and fills
// report.placement. When no round beats FP32, every unit goes back to FP32 and a warning says
// so. `original` is the model's graph (dynamic dims), `sample` one batch-1 input.
void measured_placement(const ir::Graph& fp32, QuantSetup& setup, ir::Graph& qdq, const ir::Graph& original,
                        const std::vector<Tensor>& sample, const QuantizeOptions& options, QuantizeReport& report);

}  // namespace octet::quant
