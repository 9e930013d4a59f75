// octet inspect MODEL: inputs, outputs, op counts, parameters, FLOPs.
#include <cstdio>
#include <iostream>
#include <map>

#include "api/prepare_graph.hpp"
#include "ir/cost.hpp"
#include "ir/graph.hpp"
#include "ir/shape_inference.hpp"
#include "octet/engine.hpp"
#include "passes/pipeline.hpp"
#include "runtime/kernel.hpp"
#include "tools/octet/commands.hpp"

namespace octet::cli {
namespace {

const char* kHelp = R"(usage: octet inspect MODEL [--shape NAME=D0,D1,...]

Prints the model's inputs and outputs, how many nodes of each op type it has, its parameter
count and weight size, and the multiply-accumulates (and FLOPs, two per MAC) of its Conv,
ConvTranspose, MatMul and Gemm layers for one inference at batch 1 (or the shapes given). Other
dynamic dims (a sequence length) count as 1 and are listed; --shape fixes them.

  --shape NAME=DIMS   fix a dynamic input shape
)";

// 4.09 G, 1.82 M, 950 K: three significant digits.
std::string format_count(double n) {
  const char* units[] = {"", " K", " M", " G", " T"};
  int u = 0;
  while (n >= 1000 && u < 4) { n /= 1000; ++u; }
  char buf[32];
  std::snprintf(buf, sizeof buf, n >= 100 || u == 0 ? "%.0f%s" : "%.3g%s", n, units[u]);
  return buf;
}

void print_info(const char* title, const std::vector<ValueInfo>& infos) {
  std::cout << title << ":\n";
  for (const ValueInfo& v : infos) {
    std::cout << "  " << v.name << "  " << dtype_name(v.dtype) << " [";
    for (size_t d = 0; d < v.shape.size(); ++d) {
      if (d) std::cout << ",";
      if (v.shape[d] >= 0) std::cout << v.shape[d];
      else std::cout << (v.dim_params[d].empty() ? "?" : v.dim_params[d]);
    }
    std::cout << "]\n";
  }
}

// MACs of the model's layers with its input shapes fixed (dynamic batch 1) and Shape chains
// folded, as a compile would see them. Nothing is fused: fusion does not change the count.
double model_macs(const ir::Graph& source, const std::map<std::string, Shape>& shapes) {
  ir::Graph g = source;
  PrepareOptions options;
  options.input_shapes = shapes;
  options.batch = 1;
  options.fuse = false;
  prepare_graph(g, options);
  double macs = 0;
  for (const ir::Node& n : g.nodes)
    if (!n.dead) macs += ir::node_macs(g, n);
  return macs;
}

int run(const Args& args) {
  Model model = Model::load(args.positional(0, "MODEL"));
  std::map<std::string, Shape> shapes;
  for (const std::string& s : args.get_all("--shape")) {
    auto [name, shape] = parse_shape_flag(s);
    shapes[name] = shape;
  }
  print_info("inputs", model.inputs());
  print_info("outputs", model.outputs());
  const ir::Graph& g = model.graph();
  std::map<std::string, int> counts;
  for (const ir::Node& n : g.nodes) counts[ir::op_name(n.op)]++;
  std::cout << "opset: " << g.opset << "\nnodes: " << g.nodes.size() << "\n";
  for (const auto& [op, count] : counts) std::cout << "  " << op << ": " << count << "\n";
  int64_t params = 0, bytes = 0;
  for (const ir::Value& v : g.values)
    if (v.is_constant()) { params += v.data->numel(); bytes += static_cast<int64_t>(v.data->bytes.size()); }
  std::cout << "parameters: " << params << " (" << bytes / 1024 << " KiB)\n";
  const double macs = model_macs(g, shapes);
  std::cout << "MACs: " << format_count(macs) << " (FLOPs: " << format_count(2 * macs) << ")"
            << (shapes.empty() ? " per inference at batch 1" : " per inference at the shapes given") << "\n";
  // An open dim other than the batch (a sequence length, an image size) counts as 1 in the MACs
  // above: say which, so a transformer's count is not read as its cost at real lengths.
  std::string open;
  for (const ValueInfo& v : model.inputs()) {
    if (shapes.count(v.name)) continue;
    for (size_t d = 1; d < v.shape.size(); ++d)
      if (v.shape[d] < 0)
        open += cat(open.empty() ? "" : ", ", v.name, " dim ", d, v.dim_params[d].empty() ? "" : " (" + v.dim_params[d] + ")");
  }
  if (!open.empty())
    std::cout << "  counted with these dynamic dims as 1: " << open << " (set them with --shape NAME=D0,D1,...)\n";
  return 0;
}

}  // namespace

Command inspect_command() { return {"inspect", "show a model's inputs, outputs, ops, parameters and FLOPs", kHelp, {"--shape"}, {}, run}; }

}  // namespace octet::cli
