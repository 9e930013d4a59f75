// octet bench MODEL: latency and throughput on seeded random inputs, and which kernels ran
// in which dtype ("ran in INT8: N of M nodes"). bench/compare_ort.sh reads its --json output
// next to ONNX Runtime's (peer/ort_run.js bench prints the same fields).
#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "octet/engine.hpp"
#include "tools/octet/commands.hpp"

namespace octet::cli {
namespace {

const char* kHelp = R"(usage: octet bench MODEL [--threads N] [--iters N] [--warmup N] [--batch N]
                   [--shape NAME=D0,D1,...] [--seed N] [--json] [--per-node] [--verbose]

Compiles the model once, runs it on seeded random inputs --warmup times, then --iters timed
times, and prints the latency (median, p90, min in ms), the throughput (batch * 1000 /
median, inferences per second) and the kernels used, counted per dtype.

  --threads N       worker threads (default 0: all cores)
  --iters N         timed runs (default 20)
  --warmup N        untimed runs first (default 3)
  --batch N         dim 0 of inputs whose dim 0 is open (default 1)
  --shape NAME=DIMS fix an input's shape
  --seed N          random input seed (default 1)
  --json            print one JSON object instead of text
  --per-node        also time each node (profiled runs after the timed ones)
  --verbose         print passes and kernel choices to stderr
)";

struct Stats {
  double median = 0, p90 = 0, min = 0, mean = 0;
};

Stats stats_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Stats s;
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.p90 = v[std::min(n - 1, static_cast<size_t>(0.9 * static_cast<double>(n)))];
  s.min = v.front();
  for (double x : v) s.mean += x / static_cast<double>(n);
  return s;
}

// Uniform [-1, 1) for floats (what normalized images look like); small non-negative integers
// for integer inputs (token ids, indices) so that gathers stay in range.
Tensor random_input(const ValueInfo& info, std::mt19937& gen) {
  Tensor t(info.dtype, info.shape);
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  std::uniform_int_distribution<int> small(0, 9);
  const int64_t n = t.numel();
  switch (info.dtype) {
    case DType::kFloat32: for (int64_t i = 0; i < n; ++i) t.data<float>()[i] = real(gen); break;
    case DType::kInt64: for (int64_t i = 0; i < n; ++i) t.data<int64_t>()[i] = small(gen); break;
    case DType::kInt32: for (int64_t i = 0; i < n; ++i) t.data<int32_t>()[i] = small(gen); break;
    case DType::kUInt8: for (int64_t i = 0; i < n; ++i) t.data<uint8_t>()[i] = static_cast<uint8_t>(gen() & 0xff); break;
    case DType::kInt8: for (int64_t i = 0; i < n; ++i) t.data<int8_t>()[i] = static_cast<int8_t>(gen() & 0xff); break;
    case DType::kBool: for (int64_t i = 0; i < n; ++i) t.data<uint8_t>()[i] = gen() & 1; break;
    default: {
      Tensor f(DType::kFloat32, info.shape);
      for (int64_t i = 0; i < n; ++i) f.data<float>()[i] = real(gen);
      return convert_tensor(f, info.dtype);
    }
  }
  return t;
}

double time_run_ms(CompiledModel& compiled, const std::vector<Tensor>& inputs) {
  const auto start = std::chrono::steady_clock::now();
  compiled.run(inputs);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

int run(const Args& args) {
  const std::string model_path = args.positional(0, "MODEL");
  const int iters = args.get_int("--iters", 20), warmup = args.get_int("--warmup", 3);
  if (iters < 1) fail("--iters must be at least 1");
  if (warmup < 0) fail("--warmup must not be negative");
  Model model = Model::load(model_path);
  CompileOptions options;
  options.threads = parse_threads(args);
  options.batch = args.get_int("--batch", 1);
  if (options.batch < 1) fail("--batch must be at least 1");
  options.verbose = args.has("--verbose");
  for (const std::string& text : args.get_all("--shape")) options.input_shapes.insert(parse_shape_flag(text));
  const auto compile_start = std::chrono::steady_clock::now();
  CompiledModel compiled = CompiledModel::compile(model, options);
  const double compile_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - compile_start).count();

  std::mt19937 gen(static_cast<uint32_t>(args.get_int("--seed", 1)));
  std::vector<Tensor> inputs;
  for (const ValueInfo& info : compiled.inputs()) inputs.push_back(random_input(info, gen));
  const int64_t batch = inputs.empty() || inputs[0].shape.empty() ? 1 : inputs[0].shape[0];

  for (int i = 0; i < warmup; ++i) compiled.run(inputs);
  std::vector<double> samples;
  for (int i = 0; i < iters; ++i) samples.push_back(time_run_ms(compiled, inputs));
  const Stats s = stats_of(samples);
  const double fps = static_cast<double>(batch) * 1000.0 / s.median;

  // Per-node times: profiling adds a clock read per step, so it runs after the timed runs;
  // the median per node over the profiled runs resists stray slow runs.
  std::vector<NodeKernel> kernels = compiled.kernels();
  if (args.has("--per-node")) {
    compiled.set_profiling(true);
    std::vector<std::vector<double>> per_step(kernels.size());
    for (int i = 0; i < iters; ++i) {
      compiled.run(inputs);
      std::vector<NodeKernel> k = compiled.kernels();
      for (size_t j = 0; j < k.size(); ++j) per_step[j].push_back(k[j].ms);
    }
    compiled.set_profiling(false);
    for (size_t j = 0; j < kernels.size(); ++j) kernels[j].ms = stats_of(per_step[j]).median;
  }

  // Reorders are the planner's layout changes, not model nodes: counted apart.
  std::map<std::pair<std::string, std::string>, int> by_kernel;  // (kernel, dtype) -> count
  std::map<std::string, int> by_dtype;
  int nodes = 0, reorders = 0;
  for (const NodeKernel& k : kernels) {
    by_kernel[{k.kernel, dtype_name(k.dtype)}]++;
    if (k.op == "Reorder") { ++reorders; continue; }
    ++nodes;
    by_dtype[dtype_name(k.dtype)]++;
  }

  if (args.has("--json")) {
    nlohmann::json j;
    j["engine"] = "octet";
    j["model"] = model_path;
    j["threads"] = compiled.threads();
    j["batch"] = batch;
    j["iters"] = iters;
    j["warmup"] = warmup;
    j["compile_ms"] = compile_ms;
    j["latency_ms"] = {{"median", s.median}, {"p90", s.p90}, {"min", s.min}, {"mean", s.mean}};
    j["throughput_fps"] = fps;
    j["arena_bytes"] = compiled.arena_bytes();
    j["node_count"] = nodes;
    j["reorder_count"] = reorders;
    j["nodes_by_dtype"] = by_dtype;
    if (args.has("--per-node")) {
      j["nodes"] = nlohmann::json::array();
      for (const NodeKernel& k : kernels)
        j["nodes"].push_back({{"node", k.node}, {"op", k.op}, {"kernel", k.kernel}, {"dtype", dtype_name(k.dtype)}, {"ms", k.ms}});
    }
    std::cout << j.dump() << "\n";
    return 0;
  }

  std::cout << std::fixed << std::setprecision(3);
  // Say why fewer threads run than were asked (0: every core), never silently.
  const int asked = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  std::cout << model_path << ": octet, " << compiled.threads() << " thread(s)"
            << (compiled.threads() < asked ? cat(" (of ", asked, " asked: no layer is large enough to split)") : "")
            << ", batch " << batch << ", " << iters
            << " iterations after " << warmup << " warm-up (compiled in " << compile_ms << " ms)\n";
  std::cout << "latency ms: median " << s.median << "  p90 " << s.p90 << "  min " << s.min << "\n";
  std::cout << std::setprecision(1) << "throughput: " << fps << " inferences/s\n";
  std::cout << "kernels:\n";
  for (const auto& [key, count] : by_kernel)
    std::cout << "  " << std::left << std::setw(28) << key.first << std::setw(10) << key.second << std::right << count << "\n";
  for (const auto& [dtype, count] : by_dtype) std::cout << "ran in " << upper(dtype) << ": " << count << " of " << nodes << " nodes\n";
  if (reorders) std::cout << "layout reorders: " << reorders << "\n";
  if (args.has("--per-node")) {
    std::cout << std::setprecision(3) << "per node (median ms):\n";
    for (const NodeKernel& k : kernels)
      std::cout << "  " << std::setw(9) << k.ms << "  " << std::left << std::setw(24) << k.op << std::setw(24) << k.kernel
                << std::setw(8) << dtype_name(k.dtype) << std::right << k.node << "\n";
  }
  return 0;
}

}  // namespace

Command bench_command() {
  return {"bench", "measure latency and throughput, and show the kernels used", kHelp,
          {"--threads", "--iters", "--warmup", "--batch", "--shape", "--seed"}, {"--json", "--per-node", "--verbose"}, run};
}

}  // namespace octet::cli
