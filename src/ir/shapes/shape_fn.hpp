// Per-op shape functions. Each sets dtype and shape of a node's outputs from its inputs'
// (and from constant inputs' values, e.g. Reshape's target shape). Registered by op in
// shape_table.cpp; ops without one keep the shapes the model declared.
#pragma once
#include "ir/graph.hpp"

namespace octet::ir {

using ShapeFn = void (*)(Graph& graph, const Node& node);

// nullptr when the op has no shape function.
ShapeFn shape_fn_for(OpKind op);

// Helpers for shape functions.
const Value& input_value(const Graph& graph, const Node& node, size_t i);  // throws if omitted
void set_output(Graph& graph, const Node& node, size_t i, DType dtype, Shape shape);

}  // namespace octet::ir
