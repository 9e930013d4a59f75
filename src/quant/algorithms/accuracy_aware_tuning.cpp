// RangeTuner; see accuracy_aware_tuning.hpp.
#include "quant/algorithms/accuracy_aware_tuning.hpp"

#include <algorithm>
#include <chrono>

#include "octet/error.hpp"
#include "quant/algorithms/revert_layer.hpp"
#include "quant/ranges/range_estimator.hpp"

namespace octet::quant {
namespace {

RangeEstimatorOptions resolved(const QuantizeOptions& options, const std::string& method) {
  RangeEstimatorOptions r = options.activations;
  r.method = method;
  return resolve_estimator(r, options.preset == QuantPreset::kPerformance,
                           "accuracy-aware tuning estimator '" + method + "'");
}

}  // namespace

RangeTuner::RangeTuner(const ir::Graph& fp32, const QuantSetup& base, const SampleSource& calibration,
                       const QuantizeOptions& options, std::vector<std::string> methods)
    : fp32_(fp32), base_(base), calibration_(calibration), options_(options), methods_(std::move(methods)) {
  for (const std::string& m : methods_) resolved(options_, m);  // unknown names fail now, not mid-search
}

void RangeTuner::collect() {
  const auto t0 = std::chrono::steady_clock::now();
  StatNeeds needs;
  for (const std::string& m : methods_) needs.merge(estimator_needs(resolved(options_, m)));
  StatisticsRequest request;
  for (const ActivationQuantizer& a : base_.activations)
    if (!a.uses.empty()) request.add(fp32_.value(a.value).name, needs);
  CollectOptions collect;
  collect.count = std::min(options_.subset_size, calibration_.count);
  collect.threads = options_.threads;
  stats_ = collect_statistics(fp32_, request, calibration_, collect);
  collected_ = true;
  collect_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Range RangeTuner::component_range(const QuantSetup& setup, int q, const std::string& method) {
  if (!collected_) collect();
  const RangeEstimatorOptions estimator = resolved(options_, method);
  const bool symmetric = options_.preset == QuantPreset::kPerformance;
  bool any = false;
  Range merged;
  for (int m : component_of(setup, q)) {
    const ActivationQuantizer& a = base_.activations.at(static_cast<size_t>(m));
    auto it = stats_.find(fp32_.value(a.value).name);
    if (it == stats_.end()) continue;  // no readers in the base setup: it does not widen the group
    const Range r = estimate_range(it->second, estimator, symmetric);
    merged = any ? Range{std::min(merged.lo, r.lo), std::max(merged.hi, r.hi)} : r;
    any = true;
  }
  if (!any) fail("accuracy-aware tuning: tensor '", fp32_.value(setup.activations.at(static_cast<size_t>(q)).value).name,
                 "' has no calibration statistics");
  return merged;
}

}  // namespace octet::quant
