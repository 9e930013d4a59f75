// prepare_graph: the one way a loaded graph becomes the graph octet works on. Fix the input
// shapes asked for, infer shapes, optionally raise the opset, run the passes, infer again.
// Compiling, quantizing, `inspect` and `convert` all call it with their own options, so a
// fix to the sequence (a pass order, a shape rule) reaches all four.
#pragma once
#include <map>
#include <string>

#include "ir/graph.hpp"
#include "passes/pipeline.hpp"

namespace octet {

struct PrepareOptions {
  std::map<std::string, Shape> input_shapes;  // fixes open input dims by name
  int64_t batch = 0;              // > 0: dim 0 of each input that leaves it open; 0 keeps it open
  bool fuse = true;               // operator fusion; constants and Shape chains are folded always
  bool raise_opset_to_13 = false; // per-channel QuantizeLinear needs opset 13 (quantization)
  bool require_static = false;    // every shape known afterwards, as a plan needs; else throws
  bool verbose = false;           // each pass's changes to stderr
};

// Prepares `graph` in place; returns the passes' log (one line per pass that changed it).
passes::PassLog prepare_graph(ir::Graph& graph, const PrepareOptions& options);

}  // namespace octet
