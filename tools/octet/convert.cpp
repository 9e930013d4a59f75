// octet convert IN.onnx -o OUT.onnx: fixes input shapes, runs the FP32 optimizer and writes
// the result as standard ONNX, then proves the file it wrote computes what the input did: both
// run in octet's engine on the same seeded inputs, compared relative to each output's range.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <random>

#include "api/prepare_graph.hpp"
#include "ir/graph.hpp"
#include "ir/shape_inference.hpp"
#include "octet/engine.hpp"
#include "passes/pipeline.hpp"
#include "runtime/kernel.hpp"
#include "tools/octet/commands.hpp"

namespace octet::cli {
namespace {

const char* kHelp = R"(usage: octet convert IN.onnx -o OUT.onnx [--shape NAME=D0,D1,...] [--batch N]
                     [--no-check] [--tolerance X] [--seed N] [--verbose]

Loads IN, fixes the given input shapes, runs octet's graph optimizer (constant folding,
Conv+BatchNorm and activation fusion...) and writes the optimized model to OUT as standard
ONNX that other runtimes can load. Then, unless --no-check, runs IN (unoptimized) and OUT in
octet's engine on the same seeded random inputs and prints, per output, the largest absolute
difference relative to the range (max - min) of IN's output. If that exceeds the tolerance
the command fails with exit code 1 and says so; OUT is left in place for inspection.

  -o, --output OUT   where to write (never IN itself)
  --shape NAME=DIMS  fix an input's shape in OUT
  --batch N          fix dim 0 of inputs whose dim 0 is open
  --no-check         skip the comparison
  --tolerance X      largest allowed difference / output range (default 1e-4)
  --seed N           random input seed for the check (default 1)
  --verbose          print what each pass changed
)";

// Same input distribution as `octet bench`: uniform [-1, 1) floats, small integers.
Tensor random_input(const ValueInfo& info, std::mt19937& gen) {
  Tensor f(DType::kFloat32, info.shape);
  std::uniform_real_distribution<float> real(-1.0f, 1.0f);
  std::uniform_int_distribution<int> small(0, 9);
  const bool integer = info.dtype != DType::kFloat32 && info.dtype != DType::kFloat16 && info.dtype != DType::kFloat64;
  for (int64_t i = 0; i < f.numel(); ++i) f.data<float>()[i] = integer ? static_cast<float>(small(gen)) : real(gen);
  return info.dtype == DType::kFloat32 ? f : convert_tensor(f, info.dtype);
}

// Compiles for the check; an open dim left by the user is an error that says what to pass.
CompiledModel compile_for_check(const Model& model, const CompileOptions& options, const std::string& what) {
  try {
    return CompiledModel::compile(model, options);
  } catch (const Error& e) {
    fail("cannot compile ", what, " for the check: ", e.what(), "\n(fix open input dims with --shape/--batch, or skip the check with --no-check)");
  }
}

// Largest |a - b| over the elements, and the range of `a`, as doubles.
std::pair<double, double> compare(const Tensor& a, const Tensor& b) {
  const Tensor fa = convert_tensor(a, DType::kFloat64), fb = convert_tensor(b, DType::kFloat64);
  double diff = 0, lo = INFINITY, hi = -INFINITY;
  for (int64_t i = 0; i < fa.numel(); ++i) {
    const double x = fa.data<double>()[i], y = fb.data<double>()[i];
    // NaN in either output counts as an infinite difference unless both are NaN.
    const double d = std::isnan(x) || std::isnan(y) ? (std::isnan(x) && std::isnan(y) ? 0.0 : INFINITY) : std::fabs(x - y);
    diff = std::max(diff, d);
    if (!std::isnan(x)) { lo = std::min(lo, x); hi = std::max(hi, x); }
  }
  return {diff, hi >= lo ? hi - lo : 0.0};
}

int run(const Args& args) {
  namespace fs = std::filesystem;
  const std::string in_path = args.positional(0, "IN.onnx");
  if (args.positionals().size() > 1) fail("unexpected argument '", args.positionals()[1], "' (the output goes in -o OUT.onnx)");
  const std::string out_path = args.has("-o") ? args.get("-o") : args.get("--output");
  if (out_path.empty()) fail("missing -o OUT.onnx");
  // Same path after resolving links and "..", or the same file through a hard link.
  auto canonical = [](const std::string& p) {
    std::error_code ec;
    fs::path c = fs::weakly_canonical(p, ec);
    return ec ? fs::absolute(p) : c;
  };
  std::error_code ec;
  if (canonical(in_path) == canonical(out_path) || (fs::exists(out_path, ec) && fs::equivalent(in_path, out_path, ec)))
    fail(out_path, ": refusing to overwrite the input model; choose another output path");
  check_output_target(out_path);
  const double tolerance = args.get_double("--tolerance", 1e-4);
  if (!(tolerance >= 0)) fail("--tolerance must be a non-negative number");

  const Model original = Model::load(in_path);
  std::map<std::string, Shape> shapes;
  for (const std::string& text : args.get_all("--shape")) shapes.insert(parse_shape_flag(text));
  const int64_t batch = args.get_int("--batch", 0);
  if (args.has("--batch") && batch < 1) fail("--batch must be at least 1");

  auto graph = std::make_shared<ir::Graph>(original.graph());
  PrepareOptions prepare;
  prepare.input_shapes = shapes;
  prepare.batch = batch;
  prepare.verbose = args.has("--verbose");
  const size_t nodes_before = graph->live_node_count();
  const passes::PassLog log = prepare_graph(*graph, prepare);
  for (const std::string& line : log) std::cout << "  " << line << "\n";
  const Model optimized(graph);
  OutputTransaction saving;  // the model and its external data file, or neither
  optimized.save(out_path);
  saving.commit();
  std::cout << "wrote " << out_path << ": " << nodes_before << " -> " << graph->live_node_count() << " nodes\n";
  if (args.has("--no-check")) return 0;

  // Run what was written, not the graph in memory: the check covers the ONNX writer too.
  // Open dims not fixed by the user get batch 1 for the check only.
  const Model written = Model::load(out_path);
  CompileOptions options;
  options.input_shapes = shapes;
  options.batch = batch > 0 ? batch : 1;
  options.optimize = false;
  CompiledModel ref = compile_for_check(original, options, in_path);
  CompiledModel opt = compile_for_check(written, options, out_path);
  std::mt19937 gen(static_cast<uint32_t>(args.get_int("--seed", 1)));
  std::map<std::string, Tensor> inputs;
  for (const ValueInfo& info : ref.inputs()) inputs[info.name] = random_input(info, gen);
  const std::map<std::string, Tensor> want = ref.run(inputs);
  const std::map<std::string, Tensor> got = opt.run(inputs);

  bool ok = true;
  std::cout << "check (" << ref.inputs().size() << " seeded random input(s), tolerance " << tolerance << " of the output range):\n";
  for (const auto& [name, w] : want) {
    auto it = got.find(name);
    if (it == got.end()) fail(out_path, ": output '", name, "' of ", in_path, " is missing");
    if (it->second.shape != w.shape)
      fail(out_path, ": output '", name, "' has shape ", shape_str(it->second.shape), ", the input model's has ", shape_str(w.shape));
    const auto [diff, range] = compare(w, it->second);
    // A constant output (range 0) is compared in absolute terms against the tolerance.
    const double rel = diff / std::max(range, 1.0e-30);
    const bool pass = range > 0 ? rel <= tolerance : diff <= tolerance;
    ok = ok && pass;
    std::cout << std::scientific << std::setprecision(3) << "  " << name << ": max abs diff " << diff << ", range " << range
              << ", relative " << (range > 0 ? rel : diff) << (pass ? "  ok" : "  FAILED") << "\n";
  }
  if (!ok) {
    std::cerr << "octet convert: error: check failed: the optimized model " << out_path << " differs from " << in_path
              << " by more than " << tolerance << " of the output range (the file is left in place for inspection)\n";
    return 1;
  }
  std::cout << "check passed\n";
  return 0;
}

}  // namespace

Command convert_command() {
  return {"convert", "optimize a model and write it as ONNX, checking it still computes the same", kHelp,
          {"-o", "--output", "--shape", "--batch", "--tolerance", "--seed"}, {"--no-check", "--verbose"}, run};
}

}  // namespace octet::cli
