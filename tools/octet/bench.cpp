// octet bench MODEL: latency and throughput on seeded random inputs, and which kernels ran
// in which dtype ("ran in INT8: N of M nodes"). bench/compare_ort.sh reads its --json output
// next to ONNX Runtime's (peer/ort_run.js bench prints the same fields).
#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <thread>

#include "octet/bench.hpp"
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

  BenchOptions bench_options;
  bench_options.iters = iters;
  bench_options.warmup = warmup;
  bench_options.seed = static_cast<uint32_t>(args.get_int("--seed", 1));
  bench_options.per_node = args.has("--per-node");
  BenchResult r = bench(compiled, bench_options);
  r.compile_ms = compile_ms;
  if (args.has("--json")) {
    std::cout << bench_to_json(r, model_path) << "\n";
    return 0;
  }
  const int64_t batch = r.batch;
  const int nodes = r.node_count;

  std::cout << std::fixed << std::setprecision(3);
  // Say why fewer threads run than were asked (0: every core), never silently.
  const int asked = options.threads > 0 ? options.threads : static_cast<int>(std::thread::hardware_concurrency());
  std::cout << model_path << ": octet, " << compiled.threads() << " thread(s)"
            << (compiled.threads() < asked ? cat(" (of ", asked, " asked: no layer is large enough to split)") : "")
            << ", batch " << batch << ", " << iters
            << " iterations after " << warmup << " warm-up (compiled in " << compile_ms << " ms)\n";
  std::cout << "latency ms: median " << r.median_ms << "  p90 " << r.p90_ms << "  min " << r.min_ms << "\n";
  std::cout << std::setprecision(1) << "throughput: " << r.throughput_fps << " inferences/s\n";
  std::cout << "kernels:\n";
  for (const auto& [key, count] : r.nodes_by_kernel)
    std::cout << "  " << std::left << std::setw(28) << key.first << std::setw(10) << key.second << std::right << count << "\n";
  for (const auto& [dtype, count] : r.nodes_by_dtype) std::cout << "ran in " << upper(dtype) << ": " << count << " of " << nodes << " nodes\n";
  if (r.reorder_count) std::cout << "layout reorders: " << r.reorder_count << "\n";
  if (args.has("--per-node")) {
    std::cout << std::setprecision(3) << "per node (median ms):\n";
    for (const NodeKernel& k : r.nodes)
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
