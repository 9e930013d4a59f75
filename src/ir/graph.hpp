// octet's graph IR: plain structs with integer ids. The Graph owns every value and node;
// nodes name their inputs and outputs by ValueId, values name their producer by NodeId.
// Passes mutate it in place and call verify() after; removed nodes are marked dead and
// dropped by compact(), so ids stay stable while a pass runs.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "ir/op_kind.hpp"
#include "octet/tensor.hpp"

namespace octet::ir {

using ValueId = int32_t;
using NodeId = int32_t;
constexpr ValueId kNoValue = -1;  // an omitted optional input
constexpr NodeId kNoNode = -1;

struct Graph;

struct Attribute {
  enum class Kind : uint8_t { kInt, kFloat, kString, kInts, kFloats, kStrings, kTensor, kGraph };
  Kind kind = Kind::kInt;
  int64_t i = 0;
  float f = 0.0f;
  std::string s;
  std::vector<int64_t> ints;
  std::vector<float> floats;
  std::vector<std::string> strings;
  std::shared_ptr<const Tensor> tensor;
  std::shared_ptr<const Graph> graph;  // kGraph: a subgraph (If branch, Loop/Scan body); see Node::captures

  static Attribute make_int(int64_t v) { Attribute a; a.kind = Kind::kInt; a.i = v; return a; }
  static Attribute make_float(float v) { Attribute a; a.kind = Kind::kFloat; a.f = v; return a; }
  static Attribute make_string(std::string v) { Attribute a; a.kind = Kind::kString; a.s = std::move(v); return a; }
  static Attribute make_ints(std::vector<int64_t> v) { Attribute a; a.kind = Kind::kInts; a.ints = std::move(v); return a; }
  static Attribute make_floats(std::vector<float> v) { Attribute a; a.kind = Kind::kFloats; a.floats = std::move(v); return a; }
};

struct Value {
  std::string name;
  DType dtype = DType::kUndefined;
  Shape shape;                          // -1 where unknown; empty with has_shape=false if rank unknown
  bool has_shape = false;               // rank (and shape) known
  std::vector<std::string> dim_params;  // symbolic names of dims ("" where none); same rank as shape
  NodeId producer = kNoNode;            // kNoNode for graph inputs and constants
  std::shared_ptr<const Tensor> data;   // set for initializers and folded constants
  bool is_constant() const { return data != nullptr; }
};

struct Node {
  std::string name;
  OpKind op = OpKind::Identity;
  std::vector<ValueId> inputs;   // kNoValue where an optional input is omitted
  std::vector<ValueId> outputs;  // kNoValue where an optional output is unused
  std::map<std::string, Attribute> attrs;
  // The last `captures` inputs are outer-scope values read inside this node's subgraph
  // attributes. Every subgraph lists them, in this order, as its last graph inputs, so
  // use-def, folding and dead-node removal see what a body reads; the writer turns them back
  // into ONNX's implicit outer-scope references.
  int32_t captures = 0;
  bool dead = false;             // removed by a pass; dropped at compact()

  bool has_attr(const std::string& key) const { return attrs.count(key) != 0; }
  int64_t attr_int(const std::string& key, int64_t fallback) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> fallback = {}) const;
  std::vector<float> attr_floats(const std::string& key, std::vector<float> fallback = {}) const;
  // The subgraph attribute `key`; throws naming the node when it is missing or not a graph.
  const Graph& subgraph(const std::string& key) const;
  // "Conv 'conv1'" for error messages.
  std::string describe() const;
  // How many inputs the op itself takes (the inputs before the captures).
  size_t formal_inputs() const { return inputs.size() - static_cast<size_t>(captures); }
  // Input i if present, else kNoValue.
  ValueId input(size_t i) const { return i < inputs.size() ? inputs[i] : kNoValue; }
};

// The names already taken, so that making a unique name costs O(1) instead of a scan of the
// graph (passes and the quantizer make one per rewrite). Built on first use, kept current by
// add_value/add_node and the unique_* calls, dropped by compact() and by copies, which rebuild
// it when asked. Only ever a superset of the names in use: renaming a value to a name nothing
// had before must go through unique_value_name.
struct NameCache {
  bool built = false;
  std::unordered_set<std::string> taken;
  NameCache() = default;
  NameCache(const NameCache&) {}
  NameCache& operator=(const NameCache&) { built = false; taken.clear(); return *this; }
  NameCache(NameCache&&) = default;
  NameCache& operator=(NameCache&&) = default;
};

struct Graph {
  std::string name;
  int64_t opset = 13;                 // default-domain opset the model was written for
  std::string source_path;            // file it was loaded from, for messages
  std::vector<Value> values;
  std::vector<Node> nodes;
  std::vector<ValueId> inputs;        // graph inputs that are not initializers
  std::vector<ValueId> outputs;
  std::map<std::string, std::string> metadata;  // model metadata_props, kept through export

  ValueId add_value(Value value);
  // Adds a constant value holding `tensor`.
  ValueId add_constant(const std::string& name, Tensor tensor);
  NodeId add_node(Node node);  // sets the producer of its outputs
  // A name that no value has yet, derived from `base`.
  std::string unique_value_name(const std::string& base) const;
  std::string unique_node_name(const std::string& base) const;

  // For each value, the live nodes that read it (in node order).
  std::vector<std::vector<NodeId>> consumers() const;
  // Live nodes in a topological order; throws naming a node on a cycle.
  std::vector<NodeId> topological_order() const;
  // Replaces every use of `from` (node inputs and graph outputs) by `to`.
  void replace_uses(ValueId from, ValueId to);
  // Drops dead nodes and values nothing refers to, renumbering ids, and sorts nodes
  // topologically.
  void compact();
  bool is_graph_output(ValueId v) const;  // scans `outputs`
  // Per value, 1 for a graph output: for walks that ask of every node, where scanning
  // `outputs` each time would cost nodes x outputs (calibration makes every layer an output).
  std::vector<char> output_mask() const;
  const Value& value(ValueId id) const { return values.at(static_cast<size_t>(id)); }
  Value& value(ValueId id) { return values.at(static_cast<size_t>(id)); }
  const Tensor* constant(ValueId id) const {
    return id == kNoValue ? nullptr : values.at(static_cast<size_t>(id)).data.get();
  }
  size_t live_node_count() const;

 private:
  mutable NameCache value_names_, node_names_;
};

// Checks the invariants every pass must keep: ids in range, each value produced at most once,
// producers consistent, no cycle, every node input produced, a graph input or a constant;
// every subgraph the same, and listing its node's captures as its last inputs.
// Throws an Error naming the node and value otherwise.
void verify(const Graph& graph);

}  // namespace octet::ir
