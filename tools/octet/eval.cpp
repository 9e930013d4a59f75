// octet eval MODEL --data SPEC: how accurate a model is on a dataset (top-1/top-5 against
// labels), or how close it stays to a reference model (agreement, cosine, SQNR, max error).
// Preprocessing comes from the model's "octet.preprocess" metadata, overridden by
// --preprocess; a progress bar goes to stderr only when stderr is a terminal.
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "octet/data.hpp"
#include "octet/eval.hpp"
#include "tools/octet/commands.hpp"

namespace octet::cli {
namespace {

const char* kHelp = R"(usage: octet eval MODEL --data SPEC [--labels SPEC] [--metric NAME] [--reference MODEL]
                  [--subset N] [--seed N] [--batch N] [--threads N] [--preprocess JSON] [--shape NAME=DIMS]
                  [--json] [--skip-bad]

Runs MODEL over a dataset and prints one metric.

data:
  --data SPEC         fashion-mnist, fashion-mnist:train, fashion-mnist:test (the default split),
                      FILE.npy (preprocessed, N on axis 0; NAME=FILE.npy,... for several inputs),
                      an IDX file (plain or .gz), or a FOLDER of JPEG/PNG images (class sub-folders)
  --labels SPEC       integer labels: FILE.npy, an IDX labels file, or a text file of "LABEL" or
                      "PATH LABEL" lines (ImageNet style; paths relative to FOLDER)
  --preprocess JSON   image preprocessing, merged over the model's octet.preprocess metadata:
                      {"resize_shorter":256, "crop":[224,224], "interpolation":"linear",
                       "scale":0.00392, "mean":[0.485,0.456,0.406], "std":[0.229,0.224,0.225],
                       "color":"rgb"|"bgr"|"gray", "layout":"NCHW"|"NHWC", "resize":[h,w]}
                      (.npy data is already preprocessed and fed as is)
  --subset N          a seeded random subset of N samples (default: all)
  --seed N            seed of the subset (default 0)
  --skip-bad          skip unreadable images with a warning instead of failing

metric:
  --metric NAME       top1 (default with labels), top5, agreement (default with --reference and
                      no labels), cosine, sqnr, max_abs
  --reference MODEL   the model to compare with (agreement, cosine, sqnr, max_abs)

run:
  --batch N           samples per inference (default 1)
  --shape NAME=DIMS   fix an input's open dims (a sequence length), batch first: --shape ids=1,128
  --threads N         worker threads (default 0: all cores)
  --json              print one JSON object: metric, value, samples, skipped, seconds, details
)";

void progress_bar(size_t done, size_t total) {
  const int width = 40;
  const int filled = total ? static_cast<int>(width * done / total) : width;
  std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(),
               done, total);
  if (done == total) std::fprintf(stderr, "\r%s\r", std::string(width + 30, ' ').c_str());
  std::fflush(stderr);
}

uint64_t parse_count(const std::string& flag, const std::string& text) {
  size_t used = 0;
  long long v = -1;
  try { v = std::stoll(text, &used); } catch (...) { used = 0; }
  if (used != text.size() || text.empty() || v < 0) fail(flag, " wants a non-negative integer, got '", text, "'");
  return static_cast<uint64_t>(v);
}

CompiledModel compile_for(const Model& model, int64_t batch, int threads, const std::map<std::string, Shape>& shapes) {
  CompileOptions options;
  options.threads = threads;
  options.batch = batch;
  options.input_shapes = shapes;
  return CompiledModel::compile(model, options);
}

int run(const Args& args) {
  const std::string model_path = args.positional(0, "MODEL");
  if (args.positionals().size() > 1) fail("unexpected argument '", args.positionals()[1], "'");
  if (!args.has("--data")) fail("missing --data SPEC (e.g. --data fashion-mnist or --data x.npy --labels y.npy)");
  const int batch = args.get_int("--batch", 1);
  if (batch < 1) fail("--batch wants a positive integer, got ", batch);
  const int threads = parse_threads(args);
  // Fixes open dims other than the batch (a sequence length); the batch comes from --batch.
  std::map<std::string, Shape> shapes;
  for (const std::string& text : args.get_all("--shape")) {
    auto [name, shape] = parse_shape_flag(text);
    if (shape[0] != batch) fail("--shape ", text, ": dim 0 is the batch, ", shape[0], " here but --batch is ", batch);
    shapes[name] = shape;
  }

  Model model = Model::load(model_path);
  const std::optional<Preprocess> preprocess = Preprocess::for_model(model, args.get("--preprocess"), "--preprocess");
  // Several --data flags mean one .npy per model input.
  std::string spec;
  for (const std::string& d : args.get_all("--data")) spec += (spec.empty() ? "" : ",") + d;
  auto data = open_dataset(spec, args.get("--labels"), preprocess);

  std::string metric_name = args.get("--metric");
  if (metric_name.empty()) metric_name = !data->has_labels() && args.has("--reference") ? "agreement" : "top1";
  auto metric = make_metric(metric_name);

  EvalOptions options;
  options.subset = args.has("--subset") ? parse_sample_count("--subset", args.get("--subset")) : 0;
  options.seed = args.has("--seed") ? parse_count("--seed", args.get("--seed")) : 0;
  options.skip_bad = args.has("--skip-bad");
  if (isatty(STDERR_FILENO)) options.progress = progress_bar;

  CompiledModel compiled = compile_for(model, batch, threads, shapes);
  std::optional<CompiledModel> reference;
  if (args.has("--reference")) {
    reference = compile_for(Model::load(args.get("--reference")), batch, threads, shapes);
    options.reference = &*reference;
  }
  const EvalResult r = evaluate(compiled, *data, *metric, options);

  if (r.skipped) {
    std::cerr << "octet eval: warning: skipped " << r.skipped << " bad sample" << (r.skipped == 1 ? "" : "s") << ":\n";
    for (const std::string& m : r.skipped_messages) std::cerr << "  " << m << "\n";
    if (r.skipped > r.skipped_messages.size()) std::cerr << "  ...\n";
  }
  if (args.has("--json")) {
    nlohmann::json j;
    j["model"] = model_path;
    j["data"] = data->describe();
    j["metric"] = r.metric;
    // JSON has no infinity: SQNR of identical outputs is written as null.
    j["value"] = std::isfinite(r.value) ? nlohmann::json(r.value) : nlohmann::json(nullptr);
    j["samples"] = r.samples;
    j["skipped"] = r.skipped;
    j["seconds"] = r.seconds;
    j["batch"] = batch;
    nlohmann::json details = nlohmann::json::object();
    for (const auto& [k, v] : r.details) details[k] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr);
    j["details"] = details;
    std::cout << j.dump() << "\n";
  } else {
    const bool fraction = r.metric == "top1" || r.metric == "top5" || r.metric == "agreement";
    std::cout << r.metric << ": ";
    if (fraction) std::printf("%.4f (%.2f%%)", r.value, r.value * 100.0);
    else std::printf("%.6g%s", r.value, r.metric == "sqnr" ? " dB" : "");
    std::fflush(stdout);
    std::cout << " on " << r.samples << " samples of " << data->describe();
    if (r.skipped) std::cout << ", " << r.skipped << " skipped";
    std::printf(" in %.1f s\n", r.seconds);
    for (const auto& [k, v] : r.details) std::cout << "  " << k << ": " << v << "\n";
  }
  return 0;
}

}  // namespace

Command eval_command() {
  return {"eval",
          "measure a model's accuracy on a dataset, or its similarity to a reference",
          kHelp,
          {"--data", "--labels", "--metric", "--reference", "--subset", "--seed", "--batch", "--threads", "--preprocess",
           "--shape"},
          {"--json", "--skip-bad"},
          run};
}

}  // namespace octet::cli
