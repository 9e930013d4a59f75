// octet quantize MODEL -o OUT.onnx --data SPEC ...: post-training INT8 quantization into a
// standard QDQ ONNX model, with a report. Settings come from --config FILE.json (POT style)
// and flags; flags win. With --labels or --eval-data, the FP32 and INT8 models are evaluated
// (top-1) and their latency measured for the report.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>

#include "octet/data.hpp"
#include "octet/engine.hpp"
#include "octet/eval.hpp"
#include "octet/quantize.hpp"
#include "quant/transforms/insert_qdq.hpp"
#include "tools/octet/commands.hpp"
#include "tools/octet/quantize_accuracy_aware.hpp"

namespace octet::cli {
namespace {

const char* kHelp = R"(usage: octet quantize MODEL -o OUT.onnx --data SPEC [options]

Quantizes MODEL to INT8 (per-channel int8 weights, Q/DQ pairs on activations) from a few
hundred calibration samples, and writes standard QDQ ONNX that octet and ONNX Runtime run.
Prints a per-layer table; --report writes it as JSON.

data (as in octet eval):
  --data SPEC            calibration samples: fashion-mnist[:train|:test], FILE.npy (any numeric dtype),
                         NAME=FILE.npy,... (one per input, by name), IDX file, FOLDER
  --labels SPEC          labels for --data: also evaluates FP32 vs INT8 top-1 on --data
  --preprocess JSON      image preprocessing (default: the model's octet.preprocess metadata)
  --subset-size N        calibration samples, a seeded random subset (default 300; the summary says how many)
  --seed N               seed of that subset (default 0)
  --eval-data SPEC       evaluate FP32 vs INT8 on this dataset instead (--eval-labels SPEC)
  --eval-subset N        evaluate on a seeded subset of N samples (default: all)
  --eval-reference       evaluate the INT8 model on octet's reference Q/DQ path, not the INT8 kernels
  --no-speed-check       skip timing FP32 and INT8 at batch 1 (10 runs each; a warning says when INT8 is slower)
quantization:
  --algorithm A          default (DefaultQuantization) or accuracy-aware (see below)
  --config FILE.json     settings file (model, output, data, algorithms with params; POT's layout too);
                         its paths are relative to its folder; flags override it, but --ignore adds to its list
  --preset P             performance (symmetric int8) or mixed (asymmetric uint8 activations)
  --model-type T         auto, cnn or transformer (LayerNorm, Softmax output stay FP32)
  --ignore NAME          keep a node in FP32: a name, a glob ('conv*') or an op type; repeatable
  --activations-range M  default, min_max, mean_min_max, quantile, mse or kl
  --weights-range M      max or mse (per output channel)
  --bias-correction M    fast (default), full or none
  --saturation-fix M     auto (default: none on VNNI CPUs, else detect), detect, no, first_layer, all
  --placement M          all (default: INT8 wherever the rules allow) or measured (time each unit in
                         INT8 and FP32 on this CPU, keep FP32 where INT8 does not pay)
  --stats FILE           statistics file: reused when it matches the model and data, else written
  --report FILE.json     write the report as JSON
  --shape NAME=DIMS      fix an input shape (default: batch 1)
  --threads N            worker threads (default 0: all cores)
  --verbose              print each stage and its time to stderr
)";

struct DataSettings {
  std::string source, labels, preprocess, eval_source, eval_labels, holdout;
  uint64_t seed = 0;
  size_t eval_subset = 0;
};

size_t parse_count(const std::string& what, const std::string& text) {
  size_t used = 0;
  long long v = -1;
  try { v = std::stoll(text, &used); } catch (...) { used = 0; }
  if (used != text.size() || v < 0) fail(what, " wants a non-negative integer, got '", text, "'");
  return static_cast<size_t>(v);
}

DataSettings data_from_config(const std::map<std::string, std::string>& data, const std::string& origin) {
  DataSettings d;
  for (const auto& [key, value] : data) {
    if (key == "source") d.source = value;
    else if (key == "labels") d.labels = value;
    else if (key == "preprocess") d.preprocess = value;
    else if (key == "seed") d.seed = parse_count(cat(origin, ": 'data.seed'"), value);
    else if (key == "eval_source") d.eval_source = value;
    else if (key == "eval_labels") d.eval_labels = value;
    else if (key == "eval_subset") d.eval_subset = parse_count(cat(origin, ": 'data.eval_subset'"), value);
    else if (key == "holdout") d.holdout = value;
    else
      fail(origin, ": unknown key 'data.", key,
           "' (known: source, labels, preprocess, seed, eval_source, eval_labels, eval_subset, holdout)");
  }
  return d;
}

// Top-1 over a labeled dataset (or a seeded subset) with octet's evaluator.
double top1(CompiledModel& model, const Dataset& data, size_t subset, uint64_t seed) {
  auto metric = make_metric("top1");
  EvalOptions options;
  options.subset = subset;
  options.seed = seed;
  return evaluate(model, data, *metric, options).value;
}

// A dataset's first sample with its inputs in the model's order.
std::vector<Tensor> first_sample_in_model_order(const Dataset& data, const std::vector<ValueInfo>& wanted) {
  return model_inputs_of(data.sample(0), dataset_input_order(data, wanted), wanted);
}

int run(const Args& args) {
  QuantizeConfig config;
  if (args.has("--config")) config = read_quantize_config(args.get("--config"));
  QuantizeOptions& q = config.options;
  DataSettings data = data_from_config(config.data, args.get("--config"));
  // A config file's data paths are relative to its folder, as its model and output paths are.
  for (std::string* spec : {&data.source, &data.labels, &data.eval_source, &data.eval_labels})
    *spec = resolve_dataset_spec(*spec, config.base_dir);
  for (const std::string& note : config.ignored) std::cerr << "octet quantize: " << args.get("--config") << ": " << note << "\n";

  std::string model_path = args.positionals().empty() ? config.model : args.positional(0, "MODEL");
  if (model_path.empty()) fail("missing MODEL (a positional argument or \"model\" in --config)");
  if (args.positionals().size() > 1) fail("unexpected argument '", args.positionals()[1], "'");
  const std::string output = args.get("-o", args.get("--output", config.output));
  if (output.empty()) fail("missing -o OUT.onnx");

  data.source = args.get("--data", data.source);
  data.labels = args.get("--labels", data.labels);
  data.preprocess = args.get("--preprocess", data.preprocess);
  data.eval_source = args.get("--eval-data", data.eval_source);
  data.eval_labels = args.get("--eval-labels", data.eval_labels);
  if (args.has("--seed")) data.seed = parse_count("--seed", args.get("--seed"));
  if (args.has("--eval-subset")) data.eval_subset = parse_sample_count("--eval-subset", args.get("--eval-subset"));
  if (data.source.empty()) fail("missing --data SPEC (calibration samples)");

  if (args.has("--subset-size")) q.subset_size = parse_sample_count("--subset-size", args.get("--subset-size"));
  if (args.has("--preset")) q.preset = parse_preset(args.get("--preset"), "--preset");
  if (args.has("--model-type")) q.model_type = parse_model_type(args.get("--model-type"), "--model-type");
  for (const std::string& name : args.get_all("--ignore")) q.ignored.push_back(name);
  if (args.has("--activations-range")) q.activations.method = args.get("--activations-range");
  if (args.has("--weights-range")) q.weights.method = args.get("--weights-range");
  if (args.has("--bias-correction"))
    q.bias_correction = parse_bias_correction(args.get("--bias-correction"), "--bias-correction");
  if (args.has("--saturation-fix"))
    q.saturation_fix = parse_saturation_fix(args.get("--saturation-fix"), "--saturation-fix");
  if (args.has("--placement")) q.placement = parse_placement(args.get("--placement"), "--placement");
  if (args.has("--stats")) q.stats_path = args.get("--stats");
  for (const std::string& s : args.get_all("--shape")) {
    auto [name, shape] = parse_shape_flag(s);
    q.input_shapes[name] = shape;
  }
  q.threads = parse_threads(args);
  q.verbose = args.has("--verbose");
  q.progress = isatty(STDERR_FILENO) != 0;

  // Before minutes of calibration: no output may land on an input or on another output.
  const std::string report_path = args.get("--report");
  std::string plot_path = args.get("--plot");
  if (plot_path.empty() && !report_path.empty() && args.get("--algorithm") == "accuracy-aware")
    plot_path = std::filesystem::path(report_path).replace_extension(".svg").string();
  check_output_paths({{"-o", output}, {"--report", report_path}, {"--plot", plot_path}, {"--stats", q.stats_path}},
                     {{"MODEL", model_path}, {"--config", args.get("--config")}, {"--labels", data.labels},
                      {"--eval-labels", data.eval_labels}, {"--preprocess", data.preprocess}});
  for (const auto& [flag, spec] : NamedPaths{{"--data", data.source}, {"--eval-data", data.eval_source}})
    for (const std::string& file : dataset_files(spec))
      check_output_paths({{"-o", output}, {"--report", report_path}, {"--plot", plot_path}, {"--stats", q.stats_path}},
                         {{flag, file}});

  Model model = Model::load(model_path);
  const std::optional<Preprocess> preprocess = Preprocess::for_model(model, data.preprocess, "--preprocess");
  // Preprocessing given here travels with the INT8 model, as the model's own would: octet eval
  // of the output then reads the same images the same way.
  const std::string stored_preprocess = !data.preprocess.empty() && preprocess ? preprocess->to_json() : "";
  auto calibration = open_dataset(data.source, data.labels, preprocess);
  const std::vector<size_t> indices = sample_indices(calibration->size(), q.subset_size, data.seed);
  const std::vector<ValueInfo> wanted = model.inputs();
  const std::vector<size_t> order = dataset_input_order(*calibration, wanted);
  auto calibration_sample = [calibration, order, &indices, &wanted](size_t i) {
    return model_inputs_of(calibration->sample(indices.at(i)), order, wanted);
  };
  // The first sample against the model's inputs, so a wrong dataset is named before calibration
  // (the engine alone would only say the input's shape differs).
  if (!indices.empty())
    check_sample_fits(calibration_sample(0), model, q.input_shapes, calibration->describe(),
                      calibration->sample_name(indices[0]), model_path);
  SampleSource samples;
  samples.count = indices.size();
  // Every sample against the first where the model fixes the dim, so a folder of mixed image
  // sizes names the odd file; dims the model leaves open may vary (calibration runs one sample
  // at a time, at its own shape).
  std::vector<Shape> first_shapes;
  if (!indices.empty())
    for (const Tensor& t : calibration_sample(0)) first_shapes.push_back(t.shape);
  samples.get = [&, first_shapes, calibration_sample](size_t i) {
    std::vector<Tensor> inputs = calibration_sample(i);
    for (size_t k = 0; k < inputs.size() && k < first_shapes.size() && k < wanted.size(); ++k) {
      bool same = inputs[k].shape.size() == first_shapes[k].size();
      for (size_t d = 0; same && d < first_shapes[k].size(); ++d)
        same = inputs[k].shape[d] == first_shapes[k][d] ||
               (d < wanted[k].shape.size() && wanted[k].shape[d] < 0 && !q.input_shapes.count(wanted[k].name));
      if (!same)
        fail(calibration->sample_name(indices.at(i)), ": a sample of shape ", shape_str(inputs[k].shape), ", but ",
             calibration->sample_name(indices[0]), " has ", shape_str(first_shapes[k]),
             " (calibration samples must agree on the dims the model fixes: check the preprocessing, e.g. resize and crop)");
    }
    return inputs;
  };

  const std::string algorithm =
      args.get("--algorithm", config.algorithm == "AccuracyAwareQuantization" ? "accuracy-aware" : "default");
  if (algorithm != "default" && algorithm != "accuracy-aware")
    fail("--algorithm is '", algorithm, "'; it must be default or accuracy-aware");
  if (algorithm == "accuracy-aware") {
    AccuracyAwareJob job{model_path, output, nullptr, data.eval_subset, data.seed, data.holdout, config.accuracy,
                         stored_preprocess};
    if (!data.eval_source.empty()) job.eval_data = open_dataset(data.eval_source, data.eval_labels, preprocess);
    return quantize_accuracy_aware(args, model, samples, q, job);
  }

  // Every file from here on (statistics, model, report) is staged and committed together at the end.
  OutputTransaction outputs;
  QuantizeResult result = quantize(model, samples, q);
  if (!stored_preprocess.empty()) result.model.mutable_graph().metadata["octet.preprocess"] = stored_preprocess;
  result.model.save(output);

  std::error_code ec;
  result.report.fp32_file_bytes = static_cast<int64_t>(std::filesystem::file_size(model_path, ec));
  result.report.int8_file_bytes = static_cast<int64_t>(std::filesystem::file_size(output_location(output), ec));

  // Evaluation: FP32 against INT8 on labeled data, when there is some to evaluate on.
  std::shared_ptr<Dataset> eval_data;
  if (!data.eval_source.empty()) eval_data = open_dataset(data.eval_source, data.eval_labels, preprocess);
  else if (!data.labels.empty()) eval_data = calibration;
  if (eval_data) {
    if (!eval_data->has_labels()) fail(eval_data->describe(), " has no labels to evaluate top-1 with");
    CompileOptions compile;
    compile.threads = q.threads;
    compile.batch = 50;
    compile.input_shapes =
        shapes_for_sample(wanted, first_sample_in_model_order(*eval_data, wanted), q.input_shapes, compile.batch);
    CompiledModel fp32 = CompiledModel::compile(model, compile);
    Model int8_model = result.model;
    if (args.has("--eval-reference")) {
      quant::fold_constant_dequantize(int8_model.mutable_graph());
      compile.optimize = false;
    }
    CompiledModel int8 = CompiledModel::compile(int8_model, compile);
    result.report.metric_name = "top1";
    result.report.fp32_metric = top1(fp32, *eval_data, data.eval_subset, data.seed);
    result.report.int8_metric = top1(int8, *eval_data, data.eval_subset, data.seed);
  }
  // Latency at batch 1, the deployment case the report compares: a few runs of each, enough to
  // see INT8 lose to FP32 (--no-speed-check skips it).
  if (!args.has("--no-speed-check")) {
    const std::vector<Tensor> one = samples.get(0);
    CompileOptions compile;
    compile.threads = q.threads;
    compile.input_shapes = shapes_for_sample(wanted, one, q.input_shapes, 0);
    CompiledModel fp32_one = CompiledModel::compile(model, compile);
    CompiledModel int8_one = CompiledModel::compile(result.model, compile);
    result.report.fp32_latency_ms = median_latency_ms(fp32_one, one, 10);
    result.report.int8_latency_ms = median_latency_ms(int8_one, one, 10);
    warn_if_int8_slower(result.report);
  }

  // Warnings (a layer kept FP32 for NaN/Inf, a collapsed output, INT8 slower) go to stderr once,
  // and into the JSON report; the table on stdout counts them.
  for (const std::string& w : result.report.warnings) std::cerr << "octet quantize: warning: " << w << "\n";
  std::cout << report_table(result.report, /*with_warnings=*/false);
  if (args.has("--report")) write_file_atomically(args.get("--report"), report_to_json(result.report));
  outputs.commit();
  std::cout << "wrote " << output << "\n";
  return 0;
}

}  // namespace

Command quantize_command() {
  static const std::string help = std::string(kHelp) + "\n" + kAccuracyAwareHelp;
  std::vector<std::string> values = {"-o", "--output", "--data", "--labels", "--preprocess", "--subset-size", "--seed",
                                     "--eval-data", "--eval-labels", "--eval-subset", "--config", "--preset",
                                     "--model-type", "--ignore", "--activations-range", "--weights-range",
                                     "--bias-correction", "--saturation-fix", "--placement", "--stats", "--report", "--shape",
                                     "--threads"};
  std::vector<std::string> switches = {"--eval-reference", "--no-speed-check", "--verbose"};
  values.insert(values.end(), accuracy_aware_value_flags().begin(), accuracy_aware_value_flags().end());
  switches.insert(switches.end(), accuracy_aware_switch_flags().begin(), accuracy_aware_switch_flags().end());
  return {"quantize", "post-training INT8 quantization to a QDQ ONNX model", help.c_str(), values, switches, run};
}

}  // namespace octet::cli
