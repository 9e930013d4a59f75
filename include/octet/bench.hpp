// Latency and throughput of a compiled model on seeded random inputs, and which kernels ran in
// which dtype: what `octet bench` prints and what the Python API's CompiledModel.bench()
// returns, from this one implementation (bench_to_json is `octet bench --json`).
//
//   octet::BenchOptions options;  options.iters = 100;
//   octet::BenchResult r = octet::bench(compiled, options);   // r.median_ms, r.nodes_by_dtype
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "octet/engine.hpp"

namespace octet {

struct BenchOptions {
  int iters = 20;         // timed runs (at least 1)
  int warmup = 3;         // untimed runs first
  uint32_t seed = 1;      // random input seed
  bool per_node = false;  // also time each node (profiled runs after the timed ones)
};

struct BenchResult {
  int threads = 0;
  int64_t batch = 1;
  int iters = 0, warmup = 0;
  double compile_ms = -1;  // set by the caller, who timed compile(); -1: not measured
  double median_ms = 0, p90_ms = 0, min_ms = 0, mean_ms = 0;
  double throughput_fps = 0;  // batch * 1000 / median
  size_t arena_bytes = 0;
  int node_count = 0;         // model nodes (layout Reorders not counted)
  int reorder_count = 0;
  std::map<std::string, int> nodes_by_dtype;
  std::map<std::pair<std::string, std::string>, int> nodes_by_kernel;  // (kernel, dtype) -> count, Reorders too
  std::vector<NodeKernel> nodes;  // per node, with the median ms when per_node
};

// Runs `compiled` options.warmup times, then options.iters timed times. Fails for iters < 1.
BenchResult bench(CompiledModel& compiled, const BenchOptions& options = {});

// `octet bench --json`'s object ("engine", "model", "latency_ms": {median, p90, min, mean}, ...).
std::string bench_to_json(const BenchResult& result, const std::string& model_name);

}  // namespace octet
