// The ordered FP32 pass list.
#include "passes/pipeline.hpp"

#include <iostream>

#include "ir/shape_inference.hpp"

namespace octet::passes {

PassLog optimize(ir::Graph& graph, const PassOptions& options) {
  PassLog log;
  ir::verify(graph);
  if (options.verbose)
    for (const auto& line : log) std::cerr << "octet: " << line << "\n";
  return log;
}

}  // namespace octet::passes
