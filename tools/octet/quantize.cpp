// octet quantize MODEL -o OUT.onnx --data SPEC ...: post-training INT8 quantization into a
// standard QDQ ONNX model, with a report. Settings come from --config FILE.json (POT style)
// and flags; flags win. With --labels or --eval-data, the FP32 and INT8 models are evaluated
// (top-1) and their latency measured for the report.
#include <unistd.h>

#include <algorithm>
#include <chrono>
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
  --data SPEC            calibration samples: fashion-mnist[:train|:test], FILE.npy, IDX file, FOLDER
  --labels SPEC          labels for --data: also evaluates FP32 vs INT8 top-1 on --data
  --preprocess JSON      image preprocessing (default: the model's octet.preprocess metadata)
  --subset-size N        calibration samples, a seeded random subset (default 300)
  --seed N               seed of that subset (default 0)
  --eval-data SPEC       evaluate FP32 vs INT8 on this dataset instead (--eval-labels SPEC)
  --eval-subset N        evaluate on a seeded subset of N samples (default: all)
  --eval-reference       evaluate the INT8 model on octet's reference Q/DQ path, not the INT8 kernels
quantization:
  --algorithm A          default (DefaultQuantization) or accuracy-aware (see below)
  --config FILE.json     settings file (model, output, data, algorithms with params); flags override it
  --preset P             performance (symmetric int8) or mixed (asymmetric uint8 activations)
  --model-type T         auto, cnn or transformer (LayerNorm, Softmax output stay FP32)
  --ignore NAME          keep a node in FP32: a name, a glob ('conv*') or an op type; repeatable
  --activations-range M  default, min_max, mean_min_max, quantile, mse or kl
  --weights-range M      max or mse (per output channel)
  --bias-correction M    fast (default), full or none
  --saturation-fix M     auto (default: none on VNNI CPUs, else detect), detect, no, first_layer, all
  --stats FILE           statistics file: reused when it matches the model and data, else written
  --report FILE.json     write the report as JSON
  --shape NAME=DIMS      fix an input shape (default: batch 1)
  --threads N            worker threads (default: all cores)
  --verbose              print each stage and its time to stderr
)";

template <class E>
E parse_choice(const std::string& flag, const std::string& value, const std::vector<std::pair<std::string, E>>& options) {
  std::string names;
  for (const auto& [name, e] : options) {
    if (name == value) return e;
    names += (names.empty() ? "" : ", ") + name;
  }
  fail(flag, " is '", value, "'; it must be one of: ", names);
}

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

double median_latency_ms(CompiledModel& compiled, const std::vector<Tensor>& inputs, int runs) {
  compiled.run(inputs);  // warm-up
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    compiled.run(inputs);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int run(const Args& args) {
  QuantizeConfig config;
  if (args.has("--config")) config = read_quantize_config(args.get("--config"));
  QuantizeOptions& q = config.options;
  DataSettings data = data_from_config(config.data, args.get("--config"));

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
  if (args.has("--preset"))
    q.preset = parse_choice<QuantPreset>("--preset", args.get("--preset"),
                                         {{"performance", QuantPreset::kPerformance}, {"mixed", QuantPreset::kMixed}});
  if (args.has("--model-type"))
    q.model_type = parse_choice<ModelType>("--model-type", args.get("--model-type"),
                                           {{"auto", ModelType::kAuto}, {"cnn", ModelType::kCnn},
                                            {"transformer", ModelType::kTransformer}});
  for (const std::string& name : args.get_all("--ignore")) q.ignored.push_back(name);
  if (args.has("--activations-range")) q.activations.method = args.get("--activations-range");
  if (args.has("--weights-range")) q.weights.method = args.get("--weights-range");
  if (args.has("--bias-correction"))
    q.bias_correction = parse_choice<BiasCorrection>(
        "--bias-correction", args.get("--bias-correction"),
        {{"fast", BiasCorrection::kFast}, {"full", BiasCorrection::kFull}, {"none", BiasCorrection::kNone}});
  if (args.has("--saturation-fix"))
    q.saturation_fix = parse_choice<SaturationFix>(
        "--saturation-fix", args.get("--saturation-fix"),
        {{"auto", SaturationFix::kAuto}, {"detect", SaturationFix::kDetect}, {"no", SaturationFix::kNo},
         {"first_layer", SaturationFix::kFirstLayer}, {"all", SaturationFix::kAll}});
  if (args.has("--stats")) q.stats_path = args.get("--stats");
  for (const std::string& s : args.get_all("--shape")) {
    auto [name, shape] = parse_shape_flag(s);
    q.input_shapes[name] = shape;
  }
  q.threads = args.get_int("--threads", q.threads);
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
  // --data may be a list "x=a.npy,y=b.npy"; each existing file counts as an input.
  for (const auto& [flag, spec] : NamedPaths{{"--data", data.source}, {"--eval-data", data.eval_source}}) {
    std::string rest = spec;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string item = rest.substr(0, comma);
      rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
      std::error_code ec;
      if (const size_t eq = item.find('='); eq != std::string::npos && !std::filesystem::exists(item, ec))
        item = item.substr(eq + 1);
      if (std::filesystem::is_regular_file(item, ec))
        check_output_paths({{"-o", output}, {"--report", report_path}, {"--plot", plot_path}, {"--stats", q.stats_path}},
                           {{flag, item}});
    }
  }

  Model model = Model::load(model_path);
  std::optional<Preprocess> preprocess = Preprocess::from_model(model);
  if (!data.preprocess.empty()) {
    if (preprocess) preprocess->merge_json(data.preprocess, "--preprocess");
    else preprocess = Preprocess::from_json(data.preprocess, "--preprocess");
  }
  auto calibration = open_dataset(data.source, data.labels, preprocess);
  const std::vector<size_t> indices = sample_indices(calibration->size(), q.subset_size, data.seed);
  // The first sample against the model's inputs, so a wrong dataset is named before calibration
  // (the engine alone would only say the input's shape differs).
  if (!indices.empty()) {
    const std::vector<Tensor> first = calibration->sample(indices[0]).inputs;
    const std::vector<ValueInfo> wanted = model.inputs();
    if (first.size() != wanted.size())
      fail(calibration->describe(), ": samples have ", first.size(), " input(s); ", model_path, " takes ", wanted.size());
    for (size_t i = 0; i < wanted.size(); ++i) {
      bool fits = first[i].shape.size() == wanted[i].shape.size();
      for (size_t d = 1; fits && d < first[i].shape.size(); ++d)
        fits = wanted[i].shape[d] < 0 || wanted[i].shape[d] == first[i].shape[d] ||
               q.input_shapes.count(wanted[i].name) != 0;
      if (!fits)
        fail(calibration->sample_name(indices[0]), ": a sample of shape ", shape_str(first[i].shape), " for input '",
             wanted[i].name, "'; ", model_path, " wants ", shape_str(wanted[i].shape), " (?: any size)");
    }
  }
  SampleSource samples;
  samples.count = indices.size();
  // Every sample against the first, so a folder of mixed image sizes names the odd file.
  std::vector<Shape> first_shapes;
  if (!indices.empty())
    for (const Tensor& t : calibration->sample(indices[0]).inputs) first_shapes.push_back(t.shape);
  samples.get = [&, first_shapes](size_t i) {
    std::vector<Tensor> inputs = calibration->sample(indices.at(i)).inputs;
    for (size_t k = 0; k < inputs.size() && k < first_shapes.size(); ++k)
      if (inputs[k].shape != first_shapes[k])
        fail(calibration->sample_name(indices.at(i)), ": a sample of shape ", shape_str(inputs[k].shape), ", but ",
             calibration->sample_name(indices[0]), " has ", shape_str(first_shapes[k]),
             " (calibration samples must all have one shape: check the preprocessing, e.g. resize and crop)");
    return inputs;
  };

  const std::string algorithm =
      args.get("--algorithm", config.algorithm == "AccuracyAwareQuantization" ? "accuracy-aware" : "default");
  if (algorithm != "default" && algorithm != "accuracy-aware")
    fail("--algorithm is '", algorithm, "'; it must be default or accuracy-aware");
  if (algorithm == "accuracy-aware") {
    AccuracyAwareJob job{model_path, output, nullptr, data.eval_subset, data.seed, data.holdout, config.accuracy};
    if (!data.eval_source.empty()) job.eval_data = open_dataset(data.eval_source, data.eval_labels, preprocess);
    return quantize_accuracy_aware(args, model, samples, q, job);
  }

  // Every file from here on (statistics, model, report) is staged and committed together at the end.
  OutputTransaction outputs;
  QuantizeResult result = quantize(model, samples, q);
  // Warnings (a layer kept FP32 for NaN/Inf, an ignored-scope entry matching nothing) go to
  // stderr as well as into the report, so a script that keeps only stdout still sees them.
  for (const std::string& w : result.report.warnings) std::cerr << "octet quantize: warning: " << w << "\n";
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
    compile.input_shapes = q.input_shapes;
    compile.batch = 50;
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
    // Latency at batch 1, the deployment case the report compares.
    compile.batch = 1;
    CompiledModel fp32_one = CompiledModel::compile(model, compile);
    CompiledModel int8_one = CompiledModel::compile(int8_model, compile);
    const std::vector<Tensor> one = eval_data->sample(0).inputs;
    result.report.fp32_latency_ms = median_latency_ms(fp32_one, one, 20);
    result.report.int8_latency_ms = median_latency_ms(int8_one, one, 20);
  }

  std::cout << report_table(result.report);
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
                                     "--bias-correction", "--saturation-fix", "--stats", "--report", "--shape",
                                     "--threads"};
  std::vector<std::string> switches = {"--eval-reference", "--verbose"};
  values.insert(values.end(), accuracy_aware_value_flags().begin(), accuracy_aware_value_flags().end());
  switches.insert(switches.end(), accuracy_aware_switch_flags().begin(), accuracy_aware_switch_flags().end());
  return {"quantize", "post-training INT8 quantization to a QDQ ONNX model", help.c_str(), values, switches, run};
}

}  // namespace octet::cli
