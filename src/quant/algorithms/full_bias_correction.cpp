// Full bias correction; see full_bias_correction.hpp.
#include "quant/algorithms/full_bias_correction.hpp"

#include <algorithm>
#include <map>

#include "octet/error.hpp"
#include "quant/graph_runner.hpp"
#include "quant/transforms/bias_correction.hpp"
#include "quant/transforms/insert_qdq.hpp"

namespace octet::quant {
namespace {

Tensor tensor_of(const Shape& shape, const std::vector<float>& values) {
  Tensor t(DType::kFloat32, shape);
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

// Per-element sums of the observed tensors of `graph` over the first `count` samples.
std::vector<std::vector<double>> input_sums(const ir::Graph& graph, const std::vector<std::string>& observe,
                                            const SampleSource& samples, size_t count, int threads) {
  GraphRunner runner(graph, observe, threads);
  std::vector<std::vector<double>> sums(observe.size());
  for (size_t i = 0; i < count; ++i) {
    const std::vector<Tensor> seen = runner.run(samples.get(i));
    for (size_t k = 0; k < seen.size(); ++k) {
      const float* p = seen[k].data<float>();
      if (sums[k].empty()) sums[k].assign(static_cast<size_t>(seen[k].numel()), 0.0);
      for (size_t e = 0; e < sums[k].size(); ++e) sums[k][e] += p[e];
    }
  }
  return sums;
}

std::vector<float> means_of(const std::vector<double>& sums, size_t count) {
  std::vector<float> mean(sums.size());
  for (size_t e = 0; e < mean.size(); ++e) mean[e] = static_cast<float>(sums[e] / static_cast<double>(count));
  return mean;
}

}  // namespace

int full_bias_correction(const ir::Graph& g, QuantSetup& setup, const StatsMap& stats, const SampleSource& samples,
                         size_t count, double threshold, int threads, bool progress) {
  // Depth of each correctable layer: 1 + the deepest correctable layer upstream.
  std::vector<int> value_depth(g.values.size(), 0);
  std::map<ir::NodeId, size_t> layer_of;
  for (size_t i = 0; i < setup.layers.size(); ++i)
    if (can_correct_bias(g, setup.layers[i])) layer_of[setup.layers[i].node] = i;
  std::map<size_t, int> depth;
  int max_depth = 0;
  for (ir::NodeId id : g.topological_order()) {
    const ir::Node& n = g.nodes[static_cast<size_t>(id)];
    int d = 0;
    for (ir::ValueId v : n.inputs)
      if (v != ir::kNoValue) d = std::max(d, value_depth[static_cast<size_t>(v)]);
    if (auto it = layer_of.find(id); it != layer_of.end()) {
      depth[it->second] = ++d;
      max_depth = std::max(max_depth, d);
    }
    for (ir::ValueId v : n.outputs)
      if (v != ir::kNoValue) value_depth[static_cast<size_t>(v)] = d;
  }
  // The FP32 side's input means, over the same `count` samples the quantized side runs. The
  // calibration statistics' mean maps cover every calibration sample; comparing them with a
  // quantized mean over a subset would add the two sample sets' difference to each bias
  // (on the Fashion-MNIST ResNet that cost 9 dB of output SQNR).
  std::map<size_t, Tensor> mean_fp32;
  {
    std::vector<size_t> all;
    std::vector<std::string> observe;
    for (const auto& [layer, d] : depth) {
      all.push_back(layer);
      observe.push_back(g.value(g.nodes[static_cast<size_t>(setup.layers[layer].node)].input(0)).name);
    }
    const std::vector<std::vector<double>> sums = input_sums(g, observe, samples, count, threads);
    for (size_t k = 0; k < all.size(); ++k) {
      const ir::Node& n = g.nodes[static_cast<size_t>(setup.layers[all[k]].node)];
      mean_fp32.emplace(all[k], tensor_of(stats.at(g.value(n.input(0)).name).shape, means_of(sums[k], count)));
    }
  }
  int corrected = 0;
  ProgressBar bar("bias correction", static_cast<size_t>(max_depth), progress);
  for (int round = 1; round <= max_depth; ++round) {
    std::vector<size_t> layers;
    for (const auto& [layer, d] : depth)
      if (d == round) layers.push_back(layer);
    // The QDQ model as corrected so far, on octet's reference path.
    ir::Graph qdq = insert_qdq(g, setup);
    fold_constant_dequantize(qdq);
    std::vector<std::string> observe;
    for (size_t l : layers) {
      const std::string& name = g.nodes[static_cast<size_t>(setup.layers[l].node)].name;
      const auto it = std::find_if(qdq.nodes.begin(), qdq.nodes.end(), [&](const ir::Node& n) { return n.name == name; });
      if (it == qdq.nodes.end()) fail("full bias correction: layer '", name, "' is missing from the QDQ graph");
      observe.push_back(qdq.value(it->input(0)).name);
    }
    const std::vector<std::vector<double>> sums = input_sums(qdq, observe, samples, count, threads);
    for (size_t k = 0; k < layers.size(); ++k) {
      LayerQuantizer& layer = setup.layers[layers[k]];
      const Tensor& fp = mean_fp32.at(layers[k]);
      const Tensor quantized_mean = tensor_of(fp.shape, means_of(sums[k], count));
      const std::vector<float> shift = bias_shift(g, layer, fp, &quantized_mean);
      layer.bias = {};  // the shift is against the original bias
      corrected += apply_bias_shift(g, layer, shift, threshold);
    }
    bar.update(static_cast<size_t>(round));
  }
  return corrected;
}

}  // namespace octet::quant
