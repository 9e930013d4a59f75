// octet inspect MODEL: inputs, outputs, op counts, parameters, FLOPs.
#include <iostream>
#include <map>

#include "ir/graph.hpp"
#include "ir/shape_inference.hpp"
#include "octet/engine.hpp"
#include "tools/octet/commands.hpp"

namespace octet::cli {
namespace {

const char* kHelp = R"(usage: octet inspect MODEL [--shape NAME=D0,D1,...]

Prints the model's inputs and outputs, how many nodes of each op type it has, its parameter
count and weight size.

  --shape NAME=DIMS   fix a dynamic input shape
)";

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

int run(const Args& args) {
  Model model = Model::load(args.positional(0, "MODEL"));
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
  return 0;
}

}  // namespace

Command inspect_command() { return {"inspect", "show a model's inputs, outputs, ops, parameters and FLOPs", kHelp, {"--shape"}, {}, run}; }

}  // namespace octet::cli
