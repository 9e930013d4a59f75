// Per-node time of a graph on this machine, from octet's own profiled runs: the measurement
// behind latency-aware placement and the accuracy-aware search's speed ranking. Medians over
// repeated batch-1 runs, per node name, so that one noisy run on a shared machine does not
// decide which layer stays INT8.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "octet/tensor.hpp"

namespace octet::quant {

struct NodeProfile {
  std::map<std::string, double> ms;  // node name -> median ms (summed over its steps)
  std::set<std::string> int8;        // nodes with a step computing in INT8 or UINT8
  double total_ms = 0;               // sum of the step medians
  int runs = 0;
  int threads = 1;                   // the plan's (see CompiledModel::threads)
};

struct ProfileOptions {
  int threads = 0;               // 0: every core
  double budget_seconds = 1.0;   // profiled runs stop after this much time ...
  int min_runs = 10;             // ... but not before this many runs
  int max_runs = 100;
};

// Compiles `graph` (octet's optimized form; `original` gives back its dynamic dims) at the
// shapes of `inputs` (one batch-1 sample), runs it once to warm up, then profiles it.
NodeProfile profile_nodes(const ir::Graph& graph, const ir::Graph& original, const std::vector<Tensor>& inputs,
                          const ProfileOptions& options);

}  // namespace octet::quant
