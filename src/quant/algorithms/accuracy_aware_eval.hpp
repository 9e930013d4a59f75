// The accuracy-aware search's evaluator: every evaluation sample is loaded once and kept in
// memory, the FP32 model runs once and its per-sample results are cached, and each candidate
// model is compiled at a batch size of its own and scored per sample (hit or not, probability
// of the target class), so that ranking can look at the samples that degraded most and
// re-score only those.
#pragma once
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.hpp"
#include "octet/accuracy_aware.hpp"
#include "octet/engine.hpp"
#include "octet/quantize.hpp"

namespace octet::quant {

struct SampleOutcomes {
  std::vector<uint8_t> hit;      // top-1 equals the target (label, or FP32's top-1)
  std::vector<float> p_target;   // softmax probability of the target class
  double value = std::nan("");   // the caller's metric (full evaluations with metric_fn), else NaN
  std::vector<double> per_sample;  // its per-sample values, when it gave them
  size_t hits() const;
};

struct EvaluatorOptions {
  bool agreement = false;                      // targets are FP32's top-1, not labels
  int batch = 32;                              // used when the model's batch dim is dynamic
  int threads = 0;                             // evaluation workers (0: one per core)
  std::map<std::string, Shape> input_shapes;   // fixes input shapes (then batch 1)
  // The caller's metric (EvalData::metric_fn), run on every full evaluation besides the
  // per-sample outcomes; metric() then reports its value.
  std::function<MetricValue(CompiledModel&)> metric_fn;
};

class SearchEvaluator {
 public:
  // `original`: the model as loaded, whose input and output dims (the dynamic batch) the
  // compiled candidates get back. Labels: one per sample, or empty with agreement.
  SearchEvaluator(const SampleSource& samples, std::vector<int64_t> labels, const ir::Graph& original,
                  EvaluatorOptions options);

  // Runs the FP32 graph over every sample; fixes the targets (for agreement) and caches the
  // FP32 outcomes. Falls back to batch 1 when batching changes the FP32 results.
  const SampleOutcomes& set_reference(const ir::Graph& fp32);
  const SampleOutcomes& reference() const { return reference_; }

  // Outcomes of a graph (octet's optimized form with static shapes, QDQ or not) on the samples
  // at `subset` (in that order), or on all of them when `subset` is empty.
  SampleOutcomes run(const ir::Graph& graph, const std::vector<size_t>& subset = {});

  size_t size() const { return samples_.size(); }
  const std::vector<Tensor>& sample(size_t i) const { return samples_.at(i); }
  double metric(const SampleOutcomes& o) const;  // the caller's value, else hits / samples
  int batch() const { return batch_; }
  size_t runs() const { return runs_; }

 private:
  CompiledModel compile(const ir::Graph& graph, int threads) const;
  bool batching_is_exact(const ir::Graph& fp32);
  std::vector<std::vector<Tensor>> samples_;
  std::vector<int64_t> targets_;
  const ir::Graph& original_;
  EvaluatorOptions options_;
  int batch_ = 1;
  int threads_ = 1;                 // evaluation workers, each running a single-threaded model
  SampleOutcomes reference_;
  size_t runs_ = 0;
};

// Median batch-1 latency of a graph (octet's optimized form) in ms, after a warm-up run.
double graph_latency_ms(const ir::Graph& graph, const ir::Graph& original, const std::vector<Tensor>& inputs,
                        int threads, int runs);

// Bytes of all constant tensors in a graph (weights, scales): the model's size, near enough.
int64_t graph_weight_bytes(const ir::Graph& graph);

}  // namespace octet::quant
