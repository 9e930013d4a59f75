// AccuracyAwareQuantization: the fastest model whose accuracy drop stays within a bound.
// Starts from DefaultQuantization; while the drop on the evaluation data exceeds the bound,
// ranks the quantized layers by the accuracy they cost against the speed they bring, returns
// the cheapest offender to FP32 (or first tries another range estimator for it), re-measures.
//
//   octet::EvalData eval{source, labels};                      // labels optional
//   octet::AccuracyControlOptions control;  control.max_drop = 0.002;
//   auto r = octet::quantize_with_accuracy_control(model, calib, eval, {}, control);
//   if (!r.report.bound_met) ...                                // best model found, still saved
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "octet/quantize.hpp"

namespace octet {

// The samples the search measures the metric on (and, optionally, held-out samples it only
// reports on). Labels: one per sample, or empty (the metric is then agreement with FP32).
// A caller's metric on one evaluation (higher is better), and optionally one value per sample.
struct MetricValue {
  double value = 0;
  std::vector<double> per_sample;   // empty, or one per evaluation sample
};

struct EvalData {
  SampleSource samples;
  std::vector<int64_t> labels;
  SampleSource holdout;               // count 0: none
  std::vector<int64_t> holdout_labels;
  // The caller's metric instead of top1/agreement (the Python API's validation_fn, as in NNCF):
  // scores a model compiled at batch 1 on all of `samples`. Ranking still scores candidate
  // layers on a subset by agreement with FP32 (no caller metric can be asked about a subset);
  // per-sample values, when given, choose which samples degraded most and so form that subset.
  std::function<MetricValue(CompiledModel& model)> metric_fn;
  std::string metric_fn_name = "custom";  // the report's metric name with metric_fn
};

// One thing the search tried.
struct AccuracyAwareStep {
  size_t iteration = 0;
  std::string action;        // "revert", "tune", "requantize"
  std::string unit;          // the layer (node name) or scale group it acted on
  std::string detail;        // estimator tried, why undone, ...
  bool accepted = false;     // kept (false: undone, use_prev_if_drop_increase)
  double metric = 0, drop = 0;   // of the model after this step (before an undo)
  double latency_ms = -1;        // batch-1 latency of the kept model after this step
  double speed_cost = 0;         // fraction of the INT8 speed-up this unit carries (revert)
  double ranking_gain = 0;       // what ranking predicted (samples recovered on the ranking subset)
  double seconds = 0;            // time since the search started
};

// One revertible unit in the first ranking, for the report and the picture.
struct UnitRanking {
  std::string unit;
  std::string kind;          // "layer" or "group" (scale-sharing quantizers of a pool/Concat/Add)
  std::string op;
  double recovered = 0;      // samples of the ranking subset recovered when it alone is FP32
  double soft_gain = 0;      // summed probability gain of the target class there (tie-break)
  double speed_cost = 0;     // fraction of the INT8 speed-up lost by reverting it
  double speed_gain_ms = 0;  // measured INT8 gain of its nodes (profile), else 0
  double macs = 0;
  double priority = 0;       // what the search sorts by
};

struct AccuracyAwareReport {
  QuantizeReport quantize;          // the final model, layer by layer (reverted ones say why)
  std::string metric;               // "top1" or "agreement"
  std::string drop_type;            // "absolute" or "relative"
  double max_drop = 0;              // as given
  double allowed_drop = 0;          // in metric units (relative: times the FP32 metric)
  size_t eval_samples = 0, ranking_subset = 0, holdout_samples = 0;
  double fp32_metric = 0, default_metric = 0, default_drop = 0;
  double final_metric = 0, final_drop = 0;
  // Held-out samples (never used by the search); -1 when there are none.
  double holdout_fp32_metric = -1, holdout_default_metric = -1, holdout_final_metric = -1, holdout_final_drop = -1;
  bool bound_met = false;
  std::string stop_reason;
  std::vector<AccuracyAwareStep> steps;
  std::vector<UnitRanking> ranking;     // the first ranking, best candidate first
  std::vector<std::string> fp32_units;  // reverted in the final model
  std::vector<std::string> tuned;       // "tensor: estimator" kept in the final model
  std::string speed_source;             // how speed gains were measured, and why
  double fp32_latency_ms = -1, int8_latency_ms = -1, final_latency_ms = -1;  // batch 1, median
  int64_t fp32_weight_bytes = 0, int8_weight_bytes = 0, final_weight_bytes = 0;
  size_t evaluations = 0;               // full evaluations of the tuning samples
  size_t ranking_evaluations = 0;       // evaluations on the ranking subset
  double default_seconds = 0, search_seconds = 0;
  std::vector<std::string> notes;
};

struct AccuracyAwareResult {
  Model model;  // the best model found (the QDQ graph; save() lowers it)
  AccuracyAwareReport report;
};

// The CLI's exit code when the bound could not be met (the best model is still written).
constexpr int kExitAccuracyBoundNotMet = 3;

AccuracyAwareResult quantize_with_accuracy_control(const Model& model, const SampleSource& calibration,
                                                   const EvalData& eval, const QuantizeOptions& options,
                                                   const AccuracyControlOptions& control);

// The report as JSON, as a terminal table, and as an SVG picture (metric and latency per
// iteration; per-layer sensitivity against speed cost).
std::string accuracy_aware_json(const AccuracyAwareReport& report);
std::string accuracy_aware_table(const AccuracyAwareReport& report);
std::string accuracy_aware_svg(const AccuracyAwareReport& report);

}  // namespace octet
