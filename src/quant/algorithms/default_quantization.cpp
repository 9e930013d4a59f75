// DefaultQuantization, the pipeline behind octet::quantize():
//
//   optimized FP32 graph -> select quantizers -> declare statistics -> one calibration pass
//   (or the --stats file) -> ranges -> unify scales -> activation scales -> INT8 weights
//   (+ saturation fix) -> bias correction -> QDQ graph -> per-layer SQNR report
//
// Each step is a function in transforms/ or algorithms/; this file only sequences them and
// times them for the report.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <cmath>
#include <cstdio>
#include <iostream>

#include "api/prepare_graph.hpp"
#include "ir/shape_inference.hpp"
#include "octet/error.hpp"
#include "octet/quantize.hpp"
#include "onnx/writer.hpp"
#include "passes/fold_qdq.hpp"
#include "passes/pipeline.hpp"
#include "quant/algorithms/default_quantization.hpp"
#include "quant/algorithms/full_bias_correction.hpp"
#include "quant/algorithms/layer_error.hpp"
#include "quant/algorithms/measured_placement.hpp"
#include "quant/algorithms/nonfinite.hpp"
#include "quant/algorithms/quant_setup.hpp"
#include "quant/algorithms/weight_quantization.hpp"
#include "quant/report_builder.hpp"
#include "quant/statistics/collector.hpp"
#include "quant/statistics/stats_file.hpp"
#include "quant/transforms/bias_correction.hpp"
#include "quant/transforms/insert_qdq.hpp"
#include "quant/transforms/unify_scales.hpp"
#include "runtime/kernel.hpp"

namespace octet {
namespace {

using Clock = std::chrono::steady_clock;

class StageTimer {
 public:
  StageTimer(QuantizeReport& report, bool verbose) : report_(report), verbose_(verbose) {}
  void done(const std::string& stage) {
    const auto now = Clock::now();
    const double s = std::chrono::duration<double>(now - start_).count();
    report_.stage_seconds.emplace_back(stage, s);
    if (verbose_) std::fprintf(stderr, "octet quantize: %s %.2f s\n", stage.c_str(), s);  // to 10 ms: a stage's noise
    start_ = now;
  }

 private:
  QuantizeReport& report_;
  bool verbose_;
  Clock::time_point start_ = Clock::now();
};

// The graph quantization works on: at opset 13 or later (per-channel QuantizeLinear needs
// it; a model exported at opset 9 is raised, not refused), BatchNorm folded, activations
// fused, constants folded. A dynamic batch dim stays dynamic, so that Shape chains over it are not folded into
// constants for batch 1 (the output model must still run at any batch); the runs that
// collect statistics compile it for their own batch.
ir::Graph quantization_graph(const ir::Graph& source, const QuantizeOptions& options) {
  ir::Graph g = source;
  PrepareOptions prepare;
  prepare.input_shapes = options.input_shapes;
  prepare.raise_opset_to_13 = true;
  prepare.verbose = options.verbose;
  prepare_graph(g, prepare);
  return g;
}

uint64_t data_fingerprint(const SampleSource& samples, size_t count) {
  uint64_t h = quant::bytes_fingerprint(&count, sizeof(count));
  for (size_t i : {size_t{0}, count - 1})
    for (const Tensor& t : samples.get(i)) h = quant::bytes_fingerprint(t.bytes.data(), t.bytes.size(), h);
  return h;
}

Tensor tensor_of(const Shape& shape, const std::vector<float>& values) {
  Tensor t(DType::kFloat32, shape);
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

// A QDQ model quantized again would get Q/DQ pairs around its Q/DQ pairs and end in a graph no
// standard ONNX op can express: say so before any work.
void refuse_quantized_input(const Model& model) {
  size_t qdq = 0;
  const ir::Node* first = nullptr;
  for (const ir::Node& n : model.graph().nodes)
    if (n.op == ir::OpKind::QuantizeLinear || n.op == ir::OpKind::DequantizeLinear) {
      if (!first) first = &n;
      ++qdq;
    }
  if (first)
    fail(model.path().empty() ? std::string("the model") : model.path(), " is already quantized (", qdq,
         " QuantizeLinear/DequantizeLinear node", qdq == 1 ? "" : "s", ", the first ", first->describe(),
         "); quantize its FP32 original instead, or run and evaluate this one as it is (octet run, octet eval)");
}

// The same samples, noting whether any input element read is nonzero: an all-zero calibration
// set (an unfilled buffer, a wrong dtype read as zeros) gives ranges that mean nothing.
SampleSource watch_for_nonzero(const SampleSource& samples, std::shared_ptr<std::atomic<bool>> any_nonzero) {
  SampleSource watched = samples;
  watched.get = [get = samples.get, any_nonzero](size_t i) {
    std::vector<Tensor> inputs = get(i);
    if (!*any_nonzero)
      for (const Tensor& t : inputs)
        if (std::any_of(t.bytes.begin(), t.bytes.end(), [](uint8_t b) { return b != 0; })) *any_nonzero = true;
    return inputs;
  };
  return watched;
}

// What the engine makes of the QDQ file: the quantizer places Q/DQ only by the rows of
// ir/qdq/int8_patterns.def, but a row's selector also checks shapes and attributes, and an op
// its selector refuses runs in float between its Q/DQ pair, paying INT8's error for nothing.
// Checked on the graph as written (internal ops lowered), which is what a user loads.
void warn_unfolded_patterns(const ir::Graph& qdq, QuantizeReport& report) {
  ir::Graph folded = qdq;
  onnx_io::lower_internal_ops(folded);
  onnx_io::upgrade_opset_for_qdq(folded);
  prepare_graph(folded, {});
  for (const passes::UnfoldedConversion& left : passes::unfolded_conversions(folded))
    if (left.pattern_missed)
      report.warnings.push_back(cat("'", left.node, "' ", left.reason, ": that op runs in FP32 between Q/DQ"));
}

void warn_about_calibration_set(QuantizeReport& report, size_t count, size_t available, bool any_nonzero) {
  if (count == 1)
    report.warnings.push_back(cat("calibration used 1 sample", available > 1 ? "" : " (the data has only one)",
                                  "; ranges from one sample rarely fit other inputs (the default is 300)"));
  if (!any_nonzero)
    report.warnings.push_back(cat("every calibration sample is all zeros; the ranges mean nothing (check the data)"));
}

}  // namespace

namespace quant {

DefaultQuantizationState default_quantization(const Model& model, const SampleSource& samples,
                                              const QuantizeOptions& options) {
  QuantizeReport report;
  StageTimer timer(report, options.verbose);
  const size_t count = std::min(options.subset_size, samples.count);
  if (count == 0) fail("quantization needs calibration samples; the data has none");
  if (!samples.get) fail("quantization: the sample source has no reader");
  report.calibration_samples = count;
  report.preset = preset_name(options.preset);
  refuse_quantized_input(model);

  ir::Graph g = quantization_graph(model.graph(), options);
  {
    // What can fail without statistics fails before minutes of calibration: an op the ONNX
    // writer has no standard form for would otherwise be found only when the model is saved.
    ir::Graph probe = g;
    onnx_io::lower_internal_ops(probe);
  }
  {
    const std::vector<Tensor> first = samples.get(0);
    for (size_t i = 0; i < first.size() && i < g.inputs.size(); ++i)
      report.calibration_shapes.emplace_back(g.value(g.inputs[i]).name, first[i].shape);
  }
  timer.done("optimize FP32 graph");

  QuantSetup setup = select_quantizers(g, options);
  report.model_type = setup.transformer ? "transformer" : "cnn";
  report.warnings = setup.warnings;
  keep_nonfinite_weights_fp32(g, setup, report.warnings);
  const bool symmetric = options.preset == QuantPreset::kPerformance;
  const RangeEstimatorOptions estimator = resolve_estimator(options.activations, symmetric, "activations range estimator");

  // Every statistic any step needs, declared up front: one calibration pass collects them all.
  StatisticsRequest request;
  const StatNeeds range_needs = estimator_needs(estimator);
  for (const ActivationQuantizer& a : setup.activations) {
    if (a.uses.empty()) continue;
    StatNeeds needs = range_needs;
    needs.channel_axis = a.channel_axis;  // per-channel ranges for the saturation check
    request.add(g.value(a.value).name, needs);
  }
  if (options.bias_correction != BiasCorrection::kNone)
    for (const LayerQuantizer& layer : setup.layers)
      if (can_correct_bias(g, layer)) {
        StatNeeds needs;
        needs.mean_map = true;
        request.add(g.value(g.nodes[static_cast<size_t>(layer.node)].input(0)).name, needs);
      }
  timer.done("select quantizers");

  StatsMap stats;
  auto any_nonzero = std::make_shared<std::atomic<bool>>(false);
  const StatsFileKey key{graph_fingerprint(g), data_fingerprint(samples, count)};
  std::string why_not_reused;
  if (!options.stats_path.empty() && read_stats_file(options.stats_path, key, request, stats, why_not_reused)) {
    report.statistics_reused = true;
  } else {
    if (options.verbose && !options.stats_path.empty())
      std::cerr << "octet quantize: collecting statistics (" << why_not_reused << ")\n";
    CollectOptions collect;
    collect.count = count;
    collect.threads = options.threads;
    collect.progress = options.progress;
    stats = collect_statistics(g, request, watch_for_nonzero(samples, any_nonzero), collect);
    if (!options.stats_path.empty()) write_stats_file(options.stats_path, key, stats);
  }
  timer.done(report.statistics_reused ? "statistics (reused)" : "statistics");
  warn_about_calibration_set(report, count, samples.count,
                             report.statistics_reused || request.tensors.empty() || *any_nonzero);
  keep_nonfinite_activations_fp32(g, setup, stats, count, report.warnings);

  for (ActivationQuantizer& a : setup.activations) {
    if (a.uses.empty()) continue;
    a.range = estimate_range(stats.at(g.value(a.value).name), estimator, symmetric);
    a.estimator = estimator.method;
  }
  unify_scales(setup);
  for (ActivationQuantizer& a : setup.activations)
    if (!a.uses.empty()) a.params = activation_qparams(a.range, options.preset);
  timer.done("ranges");

  const SaturationFix fix = resolve_saturation_fix(options.saturation_fix, cpu_info().int8_vnni, report.saturation_fix);
  quantize_layer_weights(g, setup, stats, fix, options.weights.method);
  timer.done("weights");

  if (options.bias_correction == BiasCorrection::kFast) {
    for (LayerQuantizer& layer : setup.layers) {
      if (!can_correct_bias(g, layer)) continue;
      const ActivationQuantizer& x = setup.activations[static_cast<size_t>(layer.activations.at(0))];
      const TensorStats& st = stats.at(g.value(x.value).name);
      // Both sides see the FP32 mean input: fast correction removes the mean error of the
      // weights. (POT also fake-quantizes the mean map, but E[Q(x)] is not Q(E[x]); the
      // input's own rounding and clipping bias is what full correction measures.)
      const Tensor mean_fp32 = tensor_of(st.shape, st.mean_map());
      apply_bias_shift(g, layer, bias_shift(g, layer, mean_fp32, nullptr), options.bias_correction_threshold);
    }
  } else if (options.bias_correction == BiasCorrection::kFull) {
    full_bias_correction(g, setup, stats, samples, std::min(count, options.full_bias_correction_subset),
                         options.bias_correction_threshold, options.threads, options.progress);
  }
  timer.done("bias correction");

  ir::Graph qdq = insert_qdq(g, setup);
  timer.done("insert QDQ");
  measured_placement(g, setup, qdq, model.graph(), samples.get(0), options, report);
  if (options.placement == Placement::kMeasured) timer.done("measured placement");
  warn_unfolded_patterns(qdq, report);
  timer.done("fold check");

  fill_report(report, g, setup);
  std::string output_warning;
  if (options.report_subset_size > 0) {
    ir::Graph reference = qdq;
    fold_constant_dequantize(reference);
    output_warning =
        report_quantization_error(report, g, reference, setup, samples, std::min(count, options.report_subset_size), options);
    if (!output_warning.empty()) report.warnings.push_back(output_warning);
    timer.done("per-layer error");
  }

  return {std::move(g), std::move(setup), std::move(stats), std::move(report), std::move(qdq), std::move(output_warning)};
}

}  // namespace quant

QuantizeResult quantize(const Model& model, const SampleSource& samples, const QuantizeOptions& options) {
  quant::DefaultQuantizationState state = quant::default_quantization(model, samples, options);
  quant::restore_dynamic_dims(state.qdq, model.graph(), options.input_shapes);
  return {Model(std::make_shared<ir::Graph>(std::move(state.qdq))), std::move(state.report)};
}

}  // namespace octet
