// Small graph queries and rewrites the FP32 passes share: use lists, constant reading,
// making new constants (never mutating a shared tensor), and moving a fused node's output
// onto the value the absorbed node produced so that names of graph outputs survive.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "ir/fused_activation.hpp"
#include "ir/graph.hpp"

namespace octet::passes {

// Live consumers of every value: built once per pass and kept current by update() after each
// rewrite, so that a pass costs O(graph + what its rewrites touch) instead of one rescan of the
// graph per rewrite (quadratic in a deep graph that rewrites all along its length).
class Uses {
 public:
  explicit Uses(const ir::Graph& g);
  // Re-reads the inputs of `nodes` after a rewrite changed them, marked them dead or added
  // them. Every node whose inputs or liveness the rewrite changed must be listed.
  void update(const std::vector<ir::NodeId>& nodes);
  // Makes every live reader of `from` and every graph output equal to it use `to` instead;
  // costs the readers of `from`, not the graph.
  void replace_uses(ir::Graph& graph, ir::ValueId from, ir::ValueId to);
  // The live readers of v in id order (none for a value added after the last update).
  const std::vector<ir::NodeId>& of(ir::ValueId v) const;
  // The only consumer of v when v has exactly one and is not a graph output, else kNoNode.
  ir::NodeId sole(ir::ValueId v) const;
  // True when v is read by no live node and is not a graph output.
  bool unused(ir::ValueId v) const;
  bool is_output(ir::ValueId v) const;  // v is a graph output

 private:
  void index(ir::NodeId n);
  // Small graphs compare the index with a rescan after every update: a rewrite that forgot to
  // list a node shows up in the pass tests, not as a wrong fusion in a user's model.
  void check() const;

  const ir::Graph& graph_;
  std::vector<std::vector<ir::NodeId>> of_;        // per value, its live readers, sorted
  std::vector<std::vector<ir::ValueId>> indexed_;  // per node, the inputs of_ lists it under, sorted
  std::vector<char> is_output_;                    // Graph::output_mask, kept by replace_uses
};

// The node producing v if it is live and of kind `op`, else kNoNode.
ir::NodeId producer_of(const ir::Graph& graph, ir::ValueId v, ir::OpKind op);

// A float32 constant, or nullptr.
const Tensor* f32_constant(const ir::Graph& graph, ir::ValueId v);
// The value of a one-element numeric constant, or nullopt.
std::optional<float> scalar_constant(const ir::Graph& graph, ir::ValueId v);

// Adds a float32 constant named after `base`.
ir::ValueId add_f32(ir::Graph& graph, const std::string& base, Shape shape, const std::vector<float>& data);

// Makes `keep` produce `absorbed`'s output `index` as its output 0 and marks `absorbed`
// dead; keep's former output 0 is left unreferenced. The surviving value keeps its name,
// so a graph output fused into its producer keeps its name too.
void take_output(ir::Graph& graph, ir::NodeId keep, ir::NodeId absorbed, size_t index = 0);

// True when `target` is computed (transitively) from the output of node `source`: a fusion
// that made `target` an input of `source` would make a cycle.
bool depends_on(const ir::Graph& graph, ir::ValueId target, ir::NodeId source);

// The activation `node` computes on its input 0 (Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid,
// HardSwish, Tanh), when its parameters are constant: what a FusedConv, FullyConnected or INT8
// op can absorb. nullopt otherwise.
std::optional<ir::FusedActivation> activation_of(const ir::Graph& graph, const ir::Node& node);

}  // namespace octet::passes
