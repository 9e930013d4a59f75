// Per-unit speed costs; see accuracy_aware_speed.hpp. Profiles are medians over repeated
// batch-1 runs, per node name: one noisy run on a shared machine must not decide which layer
// stays INT8.
#include "quant/algorithms/accuracy_aware_speed.hpp"

#include <algorithm>
#include <map>
#include <memory>

#include "ir/cost.hpp"
#include "octet/engine.hpp"
#include "octet/error.hpp"
#include "quant/report_builder.hpp"

namespace octet::quant {
namespace {

struct Profile {
  std::map<std::string, double> ms;       // node name -> median ms (summed over its steps)
  std::map<std::string, bool> int8;       // node name -> some step of it computes in INT8
  double total_ms = 0;
};

Profile profile(const ir::Graph& graph, const ir::Graph& original, const std::vector<Tensor>& inputs, int threads,
                int runs) {
  auto copy = std::make_shared<ir::Graph>(graph);
  restore_dynamic_dims(*copy, original);
  CompileOptions options;
  options.threads = threads;
  options.batch = 1;
  const Model model(copy);
  options.input_shapes = shapes_for_sample(model.inputs(), inputs);
  CompiledModel compiled = CompiledModel::compile(model, options);
  compiled.set_profiling(true);
  compiled.run(inputs);
  std::vector<std::vector<double>> step_ms;
  std::vector<NodeKernel> kernels;
  for (int r = 0; r < runs; ++r) {
    compiled.run(inputs);
    kernels = compiled.kernels();
    if (step_ms.empty()) step_ms.resize(kernels.size());
    for (size_t s = 0; s < kernels.size() && s < step_ms.size(); ++s) step_ms[s].push_back(kernels[s].ms);
  }
  Profile p;
  for (size_t s = 0; s < kernels.size(); ++s) {
    std::vector<double>& v = step_ms[s];
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    const double median = v[v.size() / 2];
    p.ms[kernels[s].node] += median;
    p.total_ms += median;
    if (kernels[s].dtype == DType::kInt8 || kernels[s].dtype == DType::kUInt8) p.int8[kernels[s].node] = true;
  }
  return p;
}

}  // namespace

SpeedCosts measure_speed_costs(const ir::Graph& fp32, const ir::Graph& int8, const ir::Graph& original,
                               const std::vector<RevertUnit>& units, const std::vector<Tensor>& inputs,
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
    const int runs = 100;
    const Profile pf = profile(fp32, original, inputs, threads, runs);
    const Profile pq = profile(int8, original, inputs, threads, runs);
    double total_gain = 0;
    size_t int8_units = 0;
    for (size_t u = 0; u < units.size(); ++u) {
      auto f = pf.ms.find(units[u].name);
      auto q = pq.ms.find(units[u].name);
      if (f == pf.ms.end() || q == pq.ms.end()) continue;
      if (pq.int8.count(units[u].name)) ++int8_units;
      c.gain_ms[u] = std::max(0.0, f->second - q->second);
      total_gain += c.gain_ms[u];
    }
    if (mode == "profile" || (int8_units > 0 && total_gain > 0 && pq.total_ms < pf.total_ms)) {
      c.profiled = true;
      c.share.assign(units.size(), 0.0);
      for (size_t u = 0; u < units.size(); ++u) c.share[u] = total_gain > 0 ? c.gain_ms[u] / total_gain : 0.0;
      c.source = cat("per-node profile (median of ", runs, " batch-1 runs): FP32 ", pf.total_ms, " ms, INT8 ", pq.total_ms,
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
