// collect_statistics: one pass of the FP32 graph with the requested tensors as outputs.
#include "quant/statistics/collector.hpp"

#include <map>

#include "octet/error.hpp"
#include "quant/graph_runner.hpp"

namespace octet::quant {

StatsMap collect_statistics(const ir::Graph& graph, const StatisticsRequest& request, const SampleSource& samples,
                            const CollectOptions& options) {
  StatsMap stats;
  if (request.tensors.empty()) return stats;
  if (options.count == 0) fail("calibration needs at least one sample");
  if (options.count > samples.count)
    fail("calibration wants ", options.count, " samples; the data has ", samples.count);
  std::vector<std::string> names;
  for (const auto& [name, needs] : request.tensors) {
    names.push_back(name);
    stats.emplace(name, TensorStats(name, needs));
  }
  // The value id of each observed tensor (kNoValue when the graph has none of that name).
  std::vector<ir::ValueId> ids(names.size(), ir::kNoValue);
  std::vector<int> observed_index(graph.values.size(), -1);
  {
    std::map<std::string, ir::ValueId> by_name;
    for (size_t v = 0; v < graph.values.size(); ++v) by_name[graph.values[v].name] = static_cast<ir::ValueId>(v);
    for (size_t t = 0; t < names.size(); ++t)
      if (auto it = by_name.find(names[t]); it != by_name.end()) {
        ids[t] = it->second;
        observed_index[static_cast<size_t>(it->second)] = static_cast<int>(t);
      }
  }
  const auto users = graph.consumers();
  // The observed tensors that the non-finite ones feed, directly or not: one walk from all of
  // them, only for a sample that has any (a table per tensor would be quadratic in depth).
  auto fed_by = [&](const std::vector<size_t>& sources, std::vector<char>& skip) {
    std::vector<char> seen(graph.values.size(), 0);
    std::vector<ir::ValueId> todo;
    for (size_t t : sources)
      if (ids[t] != ir::kNoValue) todo.push_back(ids[t]);
    while (!todo.empty()) {
      const ir::ValueId v = todo.back();
      todo.pop_back();
      for (ir::NodeId n : users[static_cast<size_t>(v)])
        for (ir::ValueId out : graph.nodes[static_cast<size_t>(n)].outputs) {
          if (out == ir::kNoValue || seen[static_cast<size_t>(out)]) continue;
          seen[static_cast<size_t>(out)] = 1;
          todo.push_back(out);
          if (const int t = observed_index[static_cast<size_t>(out)]; t >= 0) skip[static_cast<size_t>(t)] = 1;
        }
    }
  };
  GraphRunner runner(graph, names, options.threads);
  std::vector<TensorStats*> slots;
  for (const std::string& name : names) slots.push_back(&stats.at(name));
  ProgressBar bar("calibrating", options.count, options.progress);
  for (size_t i = 0; i < options.count; ++i) {
    const std::vector<Tensor> observed = runner.run(samples.get(i));
    // A tensor holding NaN/Inf counts the sample (its layers then stay FP32); the tensors it
    // feeds skip that sample even where they are finite, so a NaN that a Relu turns into
    // zeros does not shrink their ranges. Tensors upstream keep it: their values are valid.
    std::vector<char> skip(observed.size(), 0);
    std::vector<size_t> nonfinite;
    for (size_t t = 0; t < observed.size(); ++t)
      if (has_nonfinite(observed[t])) nonfinite.push_back(t);
    if (!nonfinite.empty()) fed_by(nonfinite, skip);
    for (size_t t = 0; t < slots.size(); ++t) {
      if (skip[t] && !has_nonfinite(observed[t])) slots[t]->skip(observed[t]);
      else slots[t]->observe(observed[t]);
    }
    bar.update(i + 1);
  }
  return stats;
}

}  // namespace octet::quant
