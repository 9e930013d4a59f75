// remove_dead_nodes: drops nodes none of whose outputs is read by a live node or is a graph
// output. Walking in reverse topological order frees whole dead branches in one walk:
//
//   X -> A -> B -> (nothing)        X  (A and B removed)
#include "octet/error.hpp"
#include "passes/passes.hpp"

namespace octet::passes {

std::string remove_dead_nodes(ir::Graph& graph, const PassOptions& options) {
  // How many live reads (node inputs and graph outputs) each value has.
  std::vector<int> reads(graph.values.size(), 0);
  for (const ir::Node& node : graph.nodes) {
    if (node.dead) continue;
    for (ir::ValueId in : node.inputs)
      if (in != ir::kNoValue) ++reads[static_cast<size_t>(in)];
  }
  for (ir::ValueId out : graph.outputs) ++reads[static_cast<size_t>(out)];
  const std::vector<ir::NodeId> order = graph.topological_order();
  int removed = 0;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    ir::Node& node = graph.nodes[static_cast<size_t>(*it)];
    bool read = false;
    for (ir::ValueId out : node.outputs) read = read || (out != ir::kNoValue && reads[static_cast<size_t>(out)] > 0);
    if (read) continue;
    node.dead = true;
    ++removed;
    for (ir::ValueId in : node.inputs)
      if (in != ir::kNoValue) --reads[static_cast<size_t>(in)];
  }
  if (removed == 0) return "";
  return cat(removed, " unused nodes removed");
}

}  // namespace octet::passes
