// collect_statistics: one pass of the FP32 graph with the requested tensors as outputs.
#include "quant/statistics/collector.hpp"

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
  GraphRunner runner(graph, names, options.threads);
  std::vector<TensorStats*> slots;
  for (const std::string& name : names) slots.push_back(&stats.at(name));
  ProgressBar bar("calibrating", options.count, options.progress);
  for (size_t i = 0; i < options.count; ++i) {
    const std::vector<Tensor> observed = runner.run(samples.get(i));
    for (size_t t = 0; t < slots.size(); ++t) slots[t]->observe(observed[t]);
    bar.update(i + 1);
  }
  return stats;
}

}  // namespace octet::quant
