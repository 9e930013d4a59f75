// Metrics and the evaluator: how much accuracy a model keeps. A Metric sees each batch's
// outputs (plus a reference model's outputs and the labels when there are any) and reduces
// them to one number; evaluate() runs a compiled model over a dataset and feeds the metric.
//
//   auto metric = octet::make_metric("top1");
//   octet::EvalResult r = octet::evaluate(compiled, *data, *metric);   // r.value in [0,1]
//
// Add a metric: derive from Metric, then register_metric("name", factory).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "octet/data.hpp"
#include "octet/engine.hpp"

namespace octet {

class Metric {
 public:
  virtual ~Metric() = default;
  virtual std::string name() const = 0;
  virtual void reset() = 0;
  // One batch: the model's outputs (dim 0 = batch rows), the reference model's outputs for
  // the same rows (empty without a reference), one label per row (empty without labels).
  virtual void update(const std::vector<Tensor>& outputs, const std::vector<Tensor>& reference,
                      const std::vector<int64_t>& labels) = 0;
  virtual double result() const = 0;
  // Extra named figures for reports (per-output similarity, counts); may be empty.
  virtual std::map<std::string, double> details() const { return {}; }
  virtual bool needs_labels() const { return false; }
  virtual bool needs_reference() const { return false; }
  virtual bool higher_is_better() const { return true; }
};

using MetricFactory = std::function<std::unique_ptr<Metric>()>;

// Built in: top1, top5 (labels; output 0 holds the class scores), agreement (top-1 equal to
// the reference's), cosine (mean per-sample cosine similarity, worst output), sqnr (dB,
// signal over error power summed over the data, worst output), max_abs (largest |out - ref|).
std::unique_ptr<Metric> make_metric(const std::string& name);
std::vector<std::string> metric_names();
// Adds (or replaces) a metric in the table make_metric reads.
void register_metric(const std::string& name, MetricFactory factory);

struct EvalOptions {
  size_t subset = 0;                  // > 0: a seeded random subset of this many samples
  uint64_t seed = 0;
  bool skip_bad = false;              // count and skip samples that throw BadSampleError
  CompiledModel* reference = nullptr; // compiled for the same batch size; for similarity metrics
  // Called after each batch with (samples done, samples planned).
  std::function<void(size_t, size_t)> progress;
};

struct EvalResult {
  std::string metric;
  double value = 0.0;
  size_t samples = 0;                 // samples scored
  size_t skipped = 0;                 // bad samples skipped (skip_bad)
  std::vector<std::string> skipped_messages;  // the first few skipped samples' errors
  std::map<std::string, double> details;
  double seconds = 0.0;
};

// Runs `model` over `data` in batches of the model's compiled batch size (dim 0 of its first
// input; the last batch is padded and the padding dropped), and returns the metric. Checks
// first that the dataset's samples fit the model's inputs, naming both shapes otherwise.
EvalResult evaluate(CompiledModel& model, const Dataset& data, Metric& metric, const EvalOptions& options = {});

}  // namespace octet
