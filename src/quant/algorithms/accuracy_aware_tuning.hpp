// 'tune hyperparameters' for the accuracy-aware search: before a layer goes back to FP32, its
// activation quantizers may do better with another range estimator (MSE, quantile, global
// min/max) than the preset's default. The statistics every candidate estimator needs are
// collected in one extra calibration pass, the first time a tuning is asked for.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "octet/quantize.hpp"
#include "quant/algorithms/quant_setup.hpp"
#include "quant/statistics/collector.hpp"

namespace octet::quant {

class RangeTuner {
 public:
  RangeTuner(const ir::Graph& fp32, const QuantSetup& base, const SampleSource& calibration,
             const QuantizeOptions& options, std::vector<std::string> methods);

  const std::vector<std::string>& methods() const { return methods_; }
  // The range `method` gives quantizer q's whole scale-sharing component (the union of its
  // members' ranges, as unify_scales does). Collects the statistics on first use.
  Range component_range(const QuantSetup& setup, int q, const std::string& method);
  // Whether the statistics were collected, and how long that took.
  double collect_seconds() const { return collect_seconds_; }

 private:
  void collect();
  const ir::Graph& fp32_;
  const QuantSetup& base_;
  const SampleSource& calibration_;
  QuantizeOptions options_;
  std::vector<std::string> methods_;
  StatsMap stats_;
  bool collected_ = false;
  double collect_seconds_ = 0;
};

}  // namespace octet::quant
