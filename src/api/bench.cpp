// octet::bench (octet/bench.hpp): timed runs on seeded random inputs, kernels counted per dtype.
// bench/compare_ort.sh reads the JSON next to ONNX Runtime's (peer/ort_run.js prints the same fields).
#include "octet/bench.hpp"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

#include "octet/error.hpp"

namespace octet {
namespace {

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

}  // namespace

BenchResult bench(CompiledModel& compiled, const BenchOptions& options) {
  if (options.iters < 1) fail("bench: iters must be at least 1, not ", options.iters);
  if (options.warmup < 0) fail("bench: warmup must not be negative, not ", options.warmup);
  BenchResult r;
  r.threads = compiled.threads();
  r.iters = options.iters;
  r.warmup = options.warmup;
  std::mt19937 gen(options.seed);
  std::vector<Tensor> inputs;
  for (const ValueInfo& info : compiled.inputs()) inputs.push_back(random_input(info, gen));
  r.batch = inputs.empty() || inputs[0].shape.empty() ? 1 : inputs[0].shape[0];

  for (int i = 0; i < options.warmup; ++i) compiled.run(inputs);
  std::vector<double> samples;
  for (int i = 0; i < options.iters; ++i) samples.push_back(time_run_ms(compiled, inputs));
  const Stats s = stats_of(samples);
  r.median_ms = s.median;
  r.p90_ms = s.p90;
  r.min_ms = s.min;
  r.mean_ms = s.mean;
  r.throughput_fps = static_cast<double>(r.batch) * 1000.0 / s.median;
  r.arena_bytes = compiled.arena_bytes();

  // Per-node times: profiling adds a clock read per step, so it runs after the timed runs;
  // the median per node over the profiled runs resists stray slow runs.
  r.nodes = compiled.kernels();
  if (options.per_node) {
    compiled.set_profiling(true);
    std::vector<std::vector<double>> per_step(r.nodes.size());
    for (int i = 0; i < options.iters; ++i) {
      compiled.run(inputs);
      std::vector<NodeKernel> k = compiled.kernels();
      for (size_t j = 0; j < k.size(); ++j) per_step[j].push_back(k[j].ms);
    }
    compiled.set_profiling(false);
    for (size_t j = 0; j < r.nodes.size(); ++j) r.nodes[j].ms = stats_of(per_step[j]).median;
  }

  // Reorders are the planner's layout changes, not model nodes: counted apart.
  for (const NodeKernel& k : r.nodes) {
    r.nodes_by_kernel[{k.kernel, dtype_name(k.dtype)}]++;
    if (k.op == "Reorder") {
      ++r.reorder_count;
      continue;
    }
    ++r.node_count;
    r.nodes_by_dtype[dtype_name(k.dtype)]++;
  }
  if (!options.per_node) r.nodes.clear();
  return r;
}

std::string bench_to_json(const BenchResult& r, const std::string& model_name) {
  nlohmann::json j;
  j["engine"] = "octet";
  j["model"] = model_name;
  j["threads"] = r.threads;
  j["batch"] = r.batch;
  j["iters"] = r.iters;
  j["warmup"] = r.warmup;
  j["compile_ms"] = r.compile_ms;
  j["latency_ms"] = {{"median", r.median_ms}, {"p90", r.p90_ms}, {"min", r.min_ms}, {"mean", r.mean_ms}};
  j["throughput_fps"] = r.throughput_fps;
  j["arena_bytes"] = r.arena_bytes;
  j["node_count"] = r.node_count;
  j["reorder_count"] = r.reorder_count;
  j["nodes_by_dtype"] = r.nodes_by_dtype;
  if (!r.nodes.empty()) {
    j["nodes"] = nlohmann::json::array();
    for (const NodeKernel& k : r.nodes)
      j["nodes"].push_back({{"node", k.node}, {"op", k.op}, {"kernel", k.kernel}, {"dtype", dtype_name(k.dtype)}, {"ms", k.ms}});
  }
  return j.dump();
}

}  // namespace octet
