// The one calibration pass: every algorithm declares the tensors it needs statistics of and
// which (StatisticsRequest), the requests merge, and the FP32 graph runs once over the
// calibration subset feeding one TensorStats per tensor. Samples stream through one at a
// time, so memory does not grow with the subset size.
#pragma once
#include <map>
#include <string>

#include "ir/graph.hpp"
#include "octet/quantize.hpp"
#include "quant/statistics/tensor_stats.hpp"

namespace octet::quant {

struct StatisticsRequest {
  std::map<std::string, StatNeeds> tensors;  // value name -> what to collect
  void add(const std::string& tensor, const StatNeeds& needs) { tensors[tensor].merge(needs); }
  void merge(const StatisticsRequest& other) {
    for (const auto& [name, needs] : other.tensors) add(name, needs);
  }
};

using StatsMap = std::map<std::string, TensorStats>;

struct CollectOptions {
  size_t count = 0;       // samples to use (<= source size)
  int threads = 0;
  bool progress = false;
};

StatsMap collect_statistics(const ir::Graph& graph, const StatisticsRequest& request, const SampleSource& samples,
                            const CollectOptions& options);

}  // namespace octet::quant
