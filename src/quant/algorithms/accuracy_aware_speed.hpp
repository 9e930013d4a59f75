// What returning each unit to FP32 costs in speed, for the accuracy-aware search: the node's
// INT8 time (with its share of conversions, as placement counts it) against its FP32 time, from octet's per-node profile of the FP32 model and of
// DefaultQuantization's model. When the profile shows no INT8 gain (Q/DQ still running as
// reference kernels in FP32, or INT8 no faster on this CPU), multiply-accumulates stand in.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "octet/tensor.hpp"
#include "quant/algorithms/revert_layer.hpp"

namespace octet::quant {

struct SpeedCosts {
  std::vector<double> share;    // per unit: fraction of the INT8 speed-up it carries (sums to ~1)
  std::vector<double> gain_ms;  // per unit: FP32 ms - INT8 ms of its node (profile), else 0
  std::vector<double> macs;     // per unit: multiply-accumulates per sample
  bool profiled = false;        // share comes from the profile (else from MACs)
  std::string source;           // one sentence for the report
};

// `mode`: "profile", "macs" or "auto" (profile when it shows an INT8 gain). `inputs`: one
// batch-1 sample. Graphs are octet's optimized form (`int8` = insert_qdq of `setup`);
// `original` gives back dynamic dims.
SpeedCosts measure_speed_costs(const ir::Graph& fp32, const ir::Graph& int8, const QuantSetup& setup,
                               const ir::Graph& original, const std::vector<RevertUnit>& units, const std::vector<Tensor>& inputs,
                               const std::string& mode, int threads);

}  // namespace octet::quant
