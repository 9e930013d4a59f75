// The ordered FP32 pass list. Cleanup first (folding exposes static shapes and dead
// branches), then the fusions in the order their patterns build on each other:
// MatMul/Gemm -> FullyConnected before BN folding (so FC + BN folds), BN folding before
// Conv -> FusedConv, activations, then residual Adds as Sum and the activation after them
// (ResNet's relu(conv + bn + residual) ends as one FusedConv). Every pass is followed by
// compact() and verify(); each one that changed something adds a PassLog line.
#include "passes/pipeline.hpp"

#include <iostream>

#include "ir/shape_inference.hpp"
#include "octet/error.hpp"
#include "passes/fold_qdq.hpp"
#include "passes/passes.hpp"

namespace octet::passes {
namespace {

struct Pass {
  const char* name;
  bool fusion;  // skipped when options.fuse is off
  std::string (*run)(ir::Graph&, const PassOptions&);
};

const Pass kPasses[] = {
    {"fold_constants", false, fold_constants},
    {"remove_identity", false, remove_identity},
    {"remove_dead_nodes", false, remove_dead_nodes},
    {"fuse_matmul_add", true, fuse_matmul_add},
    {"fuse_conv_bn", true, fuse_conv_bn},
    {"fuse_conv_activation", true, fuse_conv_activation},
    {"fuse_conv_add", true, fuse_conv_add},
    {"fuse_conv_activation", true, fuse_conv_activation},
};

}  // namespace

PassLog optimize(ir::Graph& graph, const PassOptions& options) {
  PassLog log;
  ir::verify(graph);
  for (const Pass& pass : kPasses) {
    if (pass.fusion && !options.fuse) continue;
    const std::string what = pass.run(graph, options);
    if (what.empty()) continue;
    graph.compact();
    ir::verify(graph);
    log.push_back(cat(pass.name, ": ", what));
  }
  // Last: QDQ patterns become INT8 ops once the FP32 fusions have merged Conv and activation.
  if (options.fuse)
    if (std::string line = fold_qdq(graph); !line.empty()) log.push_back(line);
  if (options.verbose)
    for (const auto& line : log) std::cerr << "octet: " << line << "\n";
  return log;
}

}  // namespace octet::passes
