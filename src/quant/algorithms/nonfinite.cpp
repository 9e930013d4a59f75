// The NaN/Inf guard; see nonfinite.hpp. Checked twice: weights before calibration (they are
// constants), activations after it (from the counts TensorStats keeps per tensor).
#include "quant/algorithms/nonfinite.hpp"

#include <algorithm>
#include <cmath>

#include "octet/error.hpp"

namespace octet::quant {
namespace {

int64_t count_nonfinite(const Tensor& t) {
  if (t.dtype != DType::kFloat32) return 0;
  int64_t bad = 0;
  for (int64_t i = 0; i < t.numel(); ++i) bad += !std::isfinite(t.data<float>()[i]);
  return bad;
}

}  // namespace

void keep_nonfinite_weights_fp32(const ir::Graph& g, QuantSetup& setup, std::vector<std::string>& warnings) {
  for (size_t i = 0; i < setup.layers.size(); ++i) {
    LayerQuantizer& layer = setup.layers[i];
    if (!layer.quantized) continue;
    const ir::Node& n = g.nodes[static_cast<size_t>(layer.node)];
    for (int input : {layer.weight_input, layer.bias_input}) {
      if (input < 0) continue;
      const ir::Value& v = g.value(n.input(static_cast<size_t>(input)));
      const int64_t bad = v.data ? count_nonfinite(*v.data) : 0;
      if (bad == 0) continue;
      const std::string what = cat(input == layer.weight_input ? "weights" : "bias", " '", v.name, "' hold ", bad,
                                   " NaN or infinite value", bad == 1 ? "" : "s");
      setup.revert_layer(i, what + "; kept FP32");
      warnings.push_back(cat(n.describe(), ": ", what, "; the layer stays FP32"));
      break;
    }
  }
}

void keep_nonfinite_activations_fp32(const ir::Graph& g, QuantSetup& setup, const StatsMap& stats, size_t samples,
                                     std::vector<std::string>& warnings) {
  // Each sample with NaN/Inf somewhere is either counted or skipped by every tensor.
  size_t dropped = 0;
  for (const auto& [name, st] : stats) dropped = std::max(dropped, st.nonfinite_samples + st.skipped_samples);
  if (dropped > 0)
    warnings.push_back(cat(dropped, " of ", samples, " calibration samples produced NaN or infinite values and were left "
                           "out of every statistic"));
  for (size_t q = 0; q < setup.activations.size(); ++q) {
    ActivationQuantizer& a = setup.activations[q];
    if (a.uses.empty()) continue;
    const std::string& name = g.value(a.value).name;
    auto it = stats.find(name);
    if (it == stats.end()) continue;
    const TensorStats& st = it->second;
    std::string what;
    if (st.nonfinite_samples > 0)
      what = cat("input '", name, "' held NaN or infinite values in ", st.nonfinite_samples, " of ", samples,
                 " calibration samples (first: sample ", st.first_nonfinite, ")");
    else if (st.samples == 0)
      what = cat("input '", name, "' has no calibration sample free of NaN or infinite values elsewhere in the graph");
    else
      continue;
    bool any_layer = false;
    for (size_t i = 0; i < setup.layers.size(); ++i) {
      LayerQuantizer& layer = setup.layers[i];
      if (!layer.quantized) continue;
      bool reads = false;
      for (int lq : layer.activations) reads = reads || lq == static_cast<int>(q);
      if (!reads) continue;
      any_layer = true;
      setup.revert_layer(i, what + "; kept FP32");
      warnings.push_back(cat(g.nodes[static_cast<size_t>(layer.node)].describe(), ": ", what, "; the layer stays FP32"));
    }
    if (!any_layer) warnings.push_back(cat(what, "; it stays FP32"));
    a.uses.clear();  // the pool/Concat/Add uses too: no range from a poisoned tensor
  }
}

}  // namespace octet::quant
