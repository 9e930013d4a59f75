// The FP32 optimization pipeline ("model optimizer"): the ordered list of graph passes run
// before compiling a model, each followed by verify().
#pragma once
#include <string>
#include <vector>

#include "ir/graph.hpp"

namespace octet::passes {

struct PassOptions {
  bool fuse = true;          // operator fusion (Conv+BN, Conv+activation, MatMul+Add...)
  bool verbose = false;      // print what each pass changed to stderr
};

// One line per pass that changed something: "fuse_conv_bn: 53 BatchNormalization folded".
using PassLog = std::vector<std::string>;

// Runs the passes in order; shapes must already be inferred (ir::infer_shapes); they are
// re-inferred after passes that need it.
PassLog optimize(ir::Graph& graph, const PassOptions& options = {});

}  // namespace octet::passes
