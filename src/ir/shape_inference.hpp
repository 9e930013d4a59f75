// Shape and dtype inference over the IR. Run after the input shapes are fixed (symbolic and
// dynamic dims resolved from what the user gives at compile time); every value then has a
// concrete shape or inference throws naming the node.
#pragma once
#include <map>
#include <string>

#include "ir/graph.hpp"

namespace octet::ir {

// Replaces the shape of each named graph input (all dims must be known) and, where
// `batch` > 0, dim 0 of every input whose dim 0 is symbolic or unknown. Throws naming the
// input if a name is unknown or a rank differs.
void set_input_shapes(Graph& graph, const std::map<std::string, Shape>& shapes, int64_t batch = 0);

// Computes dtype and shape of every node output in topological order. Values whose shape is
// already fully known are re-derived and checked. `require_static`: throw if any output
// shape stays unknown (the engine needs static shapes; `octet inspect` does not).
void infer_shapes(Graph& graph, bool require_static = true);

}  // namespace octet::ir
