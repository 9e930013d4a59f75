// The accuracy-aware path of `octet quantize`; see quantize_accuracy_aware.hpp.
#include "tools/octet/quantize_accuracy_aware.hpp"

#include <filesystem>
#include <iostream>

#include "ir/graph.hpp"
#include "octet/accuracy_aware.hpp"
#include "octet/engine.hpp"
#include "octet/error.hpp"

namespace octet::cli {
namespace {

double parse_fraction(const std::string& flag, const std::string& text, bool allow_one) {
  size_t used = 0;
  double v = -1;
  try { v = std::stod(text, &used); } catch (...) { used = 0; }
  if (used != text.size() || !(v >= 0) || (allow_one ? v > 1 : v >= 1))
    fail(flag, " wants a fraction in [0, 1", allow_one ? "]" : ")", ", got '", text, "'");
  return v;
}

size_t parse_count(const std::string& flag, const std::string& text) {
  size_t used = 0;
  long long v = -1;
  try { v = std::stoll(text, &used); } catch (...) { used = 0; }
  if (used != text.size() || v < 0) fail(flag, " wants a non-negative integer, got '", text, "'");
  return static_cast<size_t>(v);
}

// Samples held in memory, so the search and the labels read each file once.
struct LoadedSamples {
  std::vector<std::vector<Tensor>> inputs;
  std::vector<int64_t> labels;
  SampleSource source() const {
    SampleSource s;
    s.count = inputs.size();
    s.get = [this](size_t i) { return inputs.at(i); };
    return s;
  }
};

// The samples at `indices`, their tensors in the model's input order (the rule eval and
// calibration follow: names from NAME=FILE.npy, whole inputs on axis 0).
LoadedSamples load(const Dataset& data, const std::vector<size_t>& indices, const std::vector<ValueInfo>& wanted) {
  LoadedSamples l;
  const std::vector<size_t> order = dataset_input_order(data, wanted);
  for (size_t i : indices) {
    Sample s = data.sample(i);
    const std::vector<int64_t> labels = std::move(s.labels);
    l.inputs.push_back(model_inputs_of(std::move(s), order, wanted));
    if (data.has_labels()) {
      if (labels.size() != 1) fail(data.sample_name(i), ": expected one label, got ", labels.size());
      l.labels.push_back(labels[0]);
    }
  }
  return l;
}

}  // namespace

const char* kAccuracyAwareHelp = R"(accuracy-aware (--algorithm accuracy-aware; POT's AccuracyAwareQuantization):
  --max-drop X           largest accepted metric drop, a fraction (0.01 = 1 point; default 0.01)
  --drop-type T          absolute (default) or relative (X times the FP32 metric)
  --metric M             top1 (needs --eval-labels or a labelled --eval-data) or agreement
                         (top-1 equal to the FP32 model's); default: top1 when labelled
  --ranking-subset-size N  samples that degraded most, used to rank layers (default 300)
  --max-iters N          at most N search iterations (default: until done)
  --holdout F            keep a seeded fraction F of --eval-data out of the search and report
                         the metric on it (e.g. 0.5: tune on half, check on the other half)
  --speed S              per-layer speed gain: auto (profile when INT8 kernels gain), profile, macs
  --no-tune              do not try other range estimators before reverting a layer
  --no-requantize        keep every reverted layer FP32 (no final pass giving them INT8 back)
  --plot FILE.svg        picture of the search (default: beside --report, .svg)
  exit code 3: the bound could not be met; the best model found is still written.
)";

const std::vector<std::string>& accuracy_aware_value_flags() {
  static const std::vector<std::string> flags = {"--algorithm", "--max-drop", "--drop-type", "--metric",
                                                 "--ranking-subset-size", "--max-iters", "--holdout", "--speed",
                                                 "--plot"};
  return flags;
}

const std::vector<std::string>& accuracy_aware_switch_flags() {
  static const std::vector<std::string> flags = {"--no-tune", "--no-requantize"};
  return flags;
}

int quantize_accuracy_aware(const Args& args, const Model& model, const SampleSource& calibration,
                            const QuantizeOptions& options, AccuracyAwareJob job) {
  AccuracyControlOptions& c = job.control;
  if (args.has("--max-drop")) c.max_drop = parse_fraction("--max-drop", args.get("--max-drop"), false);
  if (args.has("--drop-type")) c.relative = parse_drop_type(args.get("--drop-type"), "--drop-type");
  if (args.has("--metric")) c.metric = args.get("--metric");
  if (args.has("--ranking-subset-size")) {
    c.ranking_subset_size = parse_count("--ranking-subset-size", args.get("--ranking-subset-size"));
    if (c.ranking_subset_size == 0) fail("--ranking-subset-size must be at least 1");
  }
  if (args.has("--max-iters")) c.max_iters = parse_count("--max-iters", args.get("--max-iters"));
  if (args.has("--speed")) c.speed = args.get("--speed");
  if (args.has("--no-tune")) c.tune_hyperparams = false;
  if (args.has("--no-requantize")) c.requantize = false;
  const std::string holdout_text = args.get("--holdout", job.holdout);
  const double holdout = holdout_text.empty() ? 0.0 : parse_fraction("--holdout", holdout_text, false);
  if (!job.eval_data) fail("--algorithm accuracy-aware needs --eval-data SPEC (the samples the metric is measured on)");
  const Dataset& data = *job.eval_data;

  // Tuning and held-out samples: a seeded split of the (optionally sub-sampled) evaluation data.
  const std::vector<size_t> all = sample_indices(data.size(), job.eval_subset, job.seed);
  std::vector<size_t> tune = all, held;
  if (holdout > 0) {
    const size_t keep = all.size() - static_cast<size_t>(static_cast<double>(all.size()) * holdout);
    if (keep == 0 || keep == all.size()) fail("--holdout ", holdout, " leaves no samples on one side of ", all.size());
    const std::vector<size_t> picked = sample_indices(all.size(), keep, job.seed + 1);
    std::vector<bool> in_tune(all.size(), false);
    for (size_t p : picked) in_tune[p] = true;
    tune.clear();
    for (size_t p = 0; p < all.size(); ++p) (in_tune[p] ? tune : held).push_back(all[p]);
  }
  const std::vector<ValueInfo> wanted = model.inputs();
  const LoadedSamples tune_samples = load(data, tune, wanted);
  const LoadedSamples held_samples = load(data, held, wanted);
  EvalData eval;
  eval.samples = tune_samples.source();
  eval.labels = tune_samples.labels;
  eval.holdout = held_samples.source();
  eval.holdout_labels = held_samples.labels;
  if (c.metric.empty() && !data.has_labels())
    std::cerr << "octet quantize: " << data.describe() << " has no labels; the metric is agreement with FP32\n";

  OutputTransaction outputs;  // statistics, picture, report and model: all or none
  AccuracyAwareResult result = quantize_with_accuracy_control(model, calibration, eval, options, c);
  for (const std::string& w : result.report.quantize.warnings) std::cerr << "octet quantize: warning: " << w << "\n";
  result.report.notes.push_back(cat("evaluation data: ", data.describe(), "; ", tune.size(), " samples tuned on",
                                    held.empty() ? std::string() : cat(", ", held.size(), " held out")));
  std::cout << accuracy_aware_table(result.report) << std::flush;
  std::string plot = args.get("--plot");
  if (args.has("--report") && plot.empty())
    plot = std::filesystem::path(args.get("--report")).replace_extension(".svg").string();
  if (!plot.empty()) write_file_atomically(plot, accuracy_aware_svg(result.report));
  std::error_code ec;
  result.report.quantize.fp32_file_bytes = static_cast<int64_t>(std::filesystem::file_size(job.model_path, ec));
  if (!job.preprocess.empty()) result.model.mutable_graph().metadata["octet.preprocess"] = job.preprocess;
  result.model.save(job.output);
  result.report.quantize.int8_file_bytes =
      static_cast<int64_t>(std::filesystem::file_size(output_location(job.output), ec));
  if (args.has("--report")) write_file_atomically(args.get("--report"), accuracy_aware_json(result.report));
  outputs.commit();
  std::cout << "wrote " << job.output << (plot.empty() ? "" : " and " + plot) << "\n";
  if (!result.report.bound_met) {
    std::cerr << "octet quantize: the accuracy bound was NOT met (drop " << result.report.final_drop << " > allowed "
              << result.report.allowed_drop << ": " << result.report.stop_reason
              << "); wrote the best model found; exit code " << kExitAccuracyBoundNotMet << "\n";
    return kExitAccuracyBoundNotMet;
  }
  return 0;
}

}  // namespace octet::cli
