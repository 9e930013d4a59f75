// Subgraphs (If branches, Loop and Scan bodies) seen from the node that holds them. A body's
// inputs are its own ones followed by the node's captures (ir::Node::captures); shape
// inference and the engine both bind concrete types to those inputs through bind_subgraph.
#pragma once
#include <functional>
#include <vector>

#include "ir/graph.hpp"

namespace octet::ir {

// A dtype and shape for one subgraph input; dtype kUndefined keeps what the body declares.
struct InputType {
  DType dtype = DType::kUndefined;
  Shape shape;
  bool has_shape = false;
};

// A copy of `body` whose inputs, in order, take `types` (as many as the body has inputs),
// with every value's shape inferred; `require_static` as for infer_shapes. Throws naming
// `owner` (the node holding the body) when the body cannot be typed.
Graph bind_subgraph(const Graph& body, const std::vector<InputType>& types, const Node& owner,
                    bool require_static);

// Types a body for given input types. Shape inference binds with bind_subgraph; constant
// folding also folds the bound body, which is what finds the shapes a body computes with
// Shape -> Gather -> Reshape chains.
using BodyBinder = std::function<Graph(const Graph& body, const std::vector<InputType>& types, const Node& owner)>;

// Sets dtype and shape of an If, Loop or Scan's outputs from its bodies as `bind` types them
// (the shape functions of those ops call it with plain bind_subgraph).
void infer_control_flow(Graph& graph, const Node& node, const BodyBinder& bind);

// The types of `node`'s captured inputs, in order, from the graph holding the node.
std::vector<InputType> capture_types(const Graph& graph, const Node& node);

// Where a Loop or Scan gathers per-iteration outputs: how many of the body's inputs and
// outputs are state carried from one iteration to the next, and how many are scanned.
struct LoopSignature {
  size_t carried = 0;       // loop-carried (Loop) or state (Scan) values
  size_t scan_inputs = 0;   // Scan: inputs sliced per iteration
  size_t scan_outputs = 0;  // outputs stacked per iteration
  bool batched = false;     // Scan-8: input 0 is sequence_lens and every tensor has a batch dim first
};
LoopSignature loop_signature(const Graph& graph, const Node& node);

}  // namespace octet::ir
