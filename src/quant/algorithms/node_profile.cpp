// profile_nodes; see node_profile.hpp.
#include "quant/algorithms/node_profile.hpp"

#include <algorithm>
#include <chrono>
#include <memory>

#include "octet/engine.hpp"
#include "quant/report_builder.hpp"

namespace octet::quant {

NodeProfile profile_nodes(const ir::Graph& graph, const ir::Graph& original, const std::vector<Tensor>& inputs,
                          const ProfileOptions& options) {
  auto copy = std::make_shared<ir::Graph>(graph);
  restore_dynamic_dims(*copy, original);
  CompileOptions compile;
  compile.threads = options.threads;
  compile.batch = 1;
  const Model model(copy);
  compile.input_shapes = shapes_for_sample(model.inputs(), inputs);
  CompiledModel compiled = CompiledModel::compile(model, compile);
  compiled.set_profiling(true);
  compiled.run(inputs);  // first-touch page faults and oneDNN's lazy initialisation
  std::vector<std::vector<double>> step_ms;
  std::vector<NodeKernel> kernels;
  const auto start = std::chrono::steady_clock::now();
  NodeProfile p;
  p.threads = compiled.threads();
  for (; p.runs < std::max(1, options.max_runs); ++p.runs) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (p.runs >= options.min_runs && elapsed >= options.budget_seconds) break;
    compiled.run(inputs);
    kernels = compiled.kernels();
    if (step_ms.empty()) step_ms.resize(kernels.size());
    for (size_t s = 0; s < kernels.size() && s < step_ms.size(); ++s) step_ms[s].push_back(kernels[s].ms);
  }
  for (size_t s = 0; s < kernels.size(); ++s) {
    std::vector<double>& v = step_ms[s];
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    const double median = v[v.size() / 2];
    p.ms[kernels[s].node] += median;
    p.total_ms += median;
    if (kernels[s].dtype == DType::kInt8 || kernels[s].dtype == DType::kUInt8) p.int8.insert(kernels[s].node);
  }
  return p;
}

}  // namespace octet::quant
