// Fuzz target: ONNX bytes -> loader -> ir::verify -> shape inference -> the FP32 pass pipeline
// (constant folding through rt::evaluate_node, fusions), the path every model takes before it
// is compiled. Execution is not fuzzed here: kernels are checked against the reference by the
// op tests.
#include "fuzz/fuzz_target.hpp"
#include "ir/graph.hpp"
#include "ir/shape_inference.hpp"
#include "onnx/loader.hpp"
#include "passes/pipeline.hpp"
#include "runtime/kernel.hpp"

namespace {

// Constant folding materializes what shape inference promises; octet's own limit (16 GiB per
// tensor) is far above libFuzzer's 2 GB memory limit, so graphs whose values are that large
// stop after inference instead of being reported as out-of-memory "crashes".
constexpr long double kMaxFoldedElements = 1 << 22;

bool small_enough_to_fold(const octet::ir::Graph& graph) {
  for (const octet::ir::Value& v : graph.values) {
    long double n = 1;
    for (int64_t d : v.shape) n *= d > 0 ? static_cast<long double>(d) : 1.0L;
    if (n > kMaxFoldedElements) return false;
  }
  return true;
}

}  // namespace

OCTET_FUZZ_TARGET(onnx_loader) {
  return run_refusing([&] {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    // A folder that does not exist: external-data references must fail, never read this
    // machine's files.
    ir::Graph graph = onnx_io::load_model_from_bytes(bytes, "/nonexistent-octet-fuzz/model.onnx");
    ir::verify(graph);
    ir::set_input_shapes(graph, {}, 1);
    ir::infer_shapes(graph, /*require_static=*/false);
    if (!small_enough_to_fold(graph)) return;
    passes::PassOptions options;
    options.evaluate = rt::evaluate_node;
    passes::optimize(graph, options);
    ir::verify(graph);
    if (!small_enough_to_fold(graph)) return;
    ir::infer_shapes(graph, /*require_static=*/false);
  });
}
