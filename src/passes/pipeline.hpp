// The FP32 optimization pipeline ("model optimizer"): the ordered list of graph passes run
// before compiling a model, each followed by verify().
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "ir/graph.hpp"

namespace octet::passes {

// Evaluates one node on constant inputs; constant folding uses it. The runtime supplies it
// (rt::evaluate_node) so that passes need not depend on kernels.
using NodeEvaluator = std::function<std::vector<Tensor>(const ir::Graph&, const ir::Node&,
                                                        const std::vector<const Tensor*>&)>;

struct PassOptions {
  NodeEvaluator evaluate;    // required by fold_constants; folding is skipped when empty
  bool fuse = true;          // operator fusion (Conv+BN, Conv+activation, MatMul+Add...)
  bool verbose = false;      // print what each pass changed to stderr
};

// One line per pass that changed something: "fuse_conv_bn: 53 BatchNormalization folded".
using PassLog = std::vector<std::string>;

// Runs the passes in order; shapes must already be inferred (ir::infer_shapes); they are
// re-inferred after passes that need it.
PassLog optimize(ir::Graph& graph, const PassOptions& options = {});

}  // namespace octet::passes
