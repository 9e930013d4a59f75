// Graph bookkeeping: building, use-def queries, topological order, compaction, verify.
#include "ir/graph.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <type_traits>
#include <unordered_set>

#include "octet/error.hpp"

namespace octet::ir {

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (it->second.kind != Attribute::Kind::kInt) fail(describe(), ": attribute '", key, "' is not an int");
  return it->second.i;
}

float Node::attr_float(const std::string& key, float fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (it->second.kind == Attribute::Kind::kInt) return static_cast<float>(it->second.i);
  if (it->second.kind != Attribute::Kind::kFloat) fail(describe(), ": attribute '", key, "' is not a float");
  return it->second.f;
}

std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (it->second.kind != Attribute::Kind::kString) fail(describe(), ": attribute '", key, "' is not a string");
  return it->second.s;
}

std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (it->second.kind != Attribute::Kind::kInts) fail(describe(), ": attribute '", key, "' is not a list of ints");
  return it->second.ints;
}

std::vector<float> Node::attr_floats(const std::string& key, std::vector<float> fallback) const {
  auto it = attrs.find(key);
  if (it == attrs.end()) return fallback;
  if (it->second.kind != Attribute::Kind::kFloats) fail(describe(), ": attribute '", key, "' is not a list of floats");
  return it->second.floats;
}

const Graph& Node::subgraph(const std::string& key) const {
  auto it = attrs.find(key);
  if (it == attrs.end() || it->second.kind != Attribute::Kind::kGraph || !it->second.graph)
    fail(describe(), ": graph attribute '", key, "' is missing");
  return *it->second.graph;
}

std::string Node::describe() const { return cat(op_name(op), " node '", name, "'"); }

namespace {

// A name not in `cache` derived from `base` (base itself, else base_1, base_2, ...), taken.
template <class Items>
std::string take_unique(NameCache& cache, const Items& items, const std::string& base) {
  if (!cache.built) {
    cache.taken.clear();
    for (const auto& item : items) cache.taken.insert(item.name);
    cache.built = true;
  }
  std::string candidate = base;
  for (int i = 1; !cache.taken.insert(candidate).second; ++i) candidate = base + "_" + std::to_string(i);
  return candidate;
}

}  // namespace

ValueId Graph::add_value(Value value) {
  if (value_names_.built) value_names_.taken.insert(value.name);
  values.push_back(std::move(value));
  return static_cast<ValueId>(values.size() - 1);
}

ValueId Graph::add_constant(const std::string& name, Tensor tensor) {
  Value v;
  v.name = unique_value_name(name);
  v.dtype = tensor.dtype;
  v.shape = tensor.shape;
  v.has_shape = true;
  v.dim_params.assign(tensor.shape.size(), "");
  v.data = std::make_shared<const Tensor>(std::move(tensor));
  return add_value(std::move(v));
}

NodeId Graph::add_node(Node node) {
  const NodeId id = static_cast<NodeId>(nodes.size());
  for (ValueId out : node.outputs)
    if (out != kNoValue) value(out).producer = id;
  if (node_names_.built) node_names_.taken.insert(node.name);
  nodes.push_back(std::move(node));
  return id;
}

std::string Graph::unique_value_name(const std::string& base) const { return take_unique(value_names_, values, base); }

std::string Graph::unique_node_name(const std::string& base) const { return take_unique(node_names_, nodes, base); }

std::vector<std::vector<NodeId>> Graph::consumers() const {
  std::vector<std::vector<NodeId>> result(values.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (nodes[n].dead) continue;
    for (ValueId in : nodes[n].inputs) {
      if (in == kNoValue) continue;
      auto& list = result.at(static_cast<size_t>(in));
      if (list.empty() || list.back() != static_cast<NodeId>(n)) list.push_back(static_cast<NodeId>(n));
    }
  }
  return result;
}

std::vector<NodeId> Graph::topological_order() const {
  // Kahn's algorithm, stable with respect to the stored order so dumps stay readable: the
  // ready node with the lowest id goes first (a min-heap; O(E log N), no recursion).
  std::vector<int> pending(nodes.size(), 0);
  const auto users = consumers();
  for (size_t v = 0; v < users.size(); ++v) {
    const NodeId p = values[v].producer;
    if (p == kNoNode || nodes.at(static_cast<size_t>(p)).dead) continue;
    // consumers() lists a user once per distinct input value: one count per edge value->user.
    for (NodeId user : users[v]) ++pending[static_cast<size_t>(user)];
  }
  std::priority_queue<NodeId, std::vector<NodeId>, std::greater<NodeId>> ready;
  for (size_t n = 0; n < nodes.size(); ++n)
    if (!nodes[n].dead && pending[n] == 0) ready.push(static_cast<NodeId>(n));
  std::vector<NodeId> order;
  order.reserve(nodes.size());
  while (!ready.empty()) {
    const NodeId n = ready.top();
    ready.pop();
    order.push_back(n);
    for (ValueId out : nodes[static_cast<size_t>(n)].outputs) {
      if (out == kNoValue) continue;
      for (NodeId user : users[static_cast<size_t>(out)])
        if (--pending[static_cast<size_t>(user)] == 0) ready.push(user);
    }
  }
  if (order.size() != live_node_count()) {
    for (size_t n = 0; n < nodes.size(); ++n)
      if (!nodes[n].dead && pending[n] > 0)
        fail("graph '", name, "' has a cycle through ", nodes[n].describe());
  }
  return order;
}

void Graph::replace_uses(ValueId from, ValueId to) {
  for (Node& n : nodes) {
    if (n.dead) continue;
    for (ValueId& in : n.inputs)
      if (in == from) in = to;
  }
  for (ValueId& out : outputs)
    if (out == from) out = to;
}

bool Graph::is_graph_output(ValueId v) const {
  return std::find(outputs.begin(), outputs.end(), v) != outputs.end();
}

std::vector<char> Graph::output_mask() const {
  std::vector<char> mask(values.size(), 0);
  for (ValueId v : outputs) mask.at(static_cast<size_t>(v)) = 1;
  return mask;
}

size_t Graph::live_node_count() const {
  size_t n = 0;
  for (const Node& node : nodes) n += !node.dead;
  return n;
}

void Graph::compact() {
  const std::vector<NodeId> order = topological_order();
  std::vector<char> used(values.size(), 0);
  for (ValueId v : inputs) used[static_cast<size_t>(v)] = 1;
  for (ValueId v : outputs) used[static_cast<size_t>(v)] = 1;
  for (NodeId n : order) {
    for (ValueId v : nodes[static_cast<size_t>(n)].inputs)
      if (v != kNoValue) used[static_cast<size_t>(v)] = 1;
    for (ValueId v : nodes[static_cast<size_t>(n)].outputs)
      if (v != kNoValue) used[static_cast<size_t>(v)] = 1;
  }
  std::vector<ValueId> remap(values.size(), kNoValue);
  std::vector<Value> new_values;
  for (size_t v = 0; v < values.size(); ++v) {
    if (!used[v]) continue;
    remap[v] = static_cast<ValueId>(new_values.size());
    new_values.push_back(std::move(values[v]));
  }
  std::vector<Node> new_nodes;
  for (NodeId n : order) {
    Node node = std::move(nodes[static_cast<size_t>(n)]);
    for (ValueId& v : node.inputs)
      if (v != kNoValue) v = remap[static_cast<size_t>(v)];
    for (ValueId& v : node.outputs)
      if (v != kNoValue) v = remap[static_cast<size_t>(v)];
    new_nodes.push_back(std::move(node));
  }
  for (ValueId& v : inputs) v = remap[static_cast<size_t>(v)];
  for (ValueId& v : outputs) v = remap[static_cast<size_t>(v)];
  for (Value& v : new_values) v.producer = kNoNode;
  for (size_t n = 0; n < new_nodes.size(); ++n)
    for (ValueId v : new_nodes[n].outputs)
      if (v != kNoValue) new_values[static_cast<size_t>(v)].producer = static_cast<NodeId>(n);
  values = std::move(new_values);
  nodes = std::move(new_nodes);
  value_names_ = NameCache();
  node_names_ = NameCache();
}

void verify(const Graph& graph) {
  const auto count = static_cast<ValueId>(graph.values.size());
  // `where` names the reader for the message; a node is described only when it fails (this
  // runs for every input and output of every node).
  auto check_id = [&](ValueId v, const auto& where) {
    if (v >= 0 && v < count) return;
    if constexpr (std::is_same_v<std::decay_t<decltype(where)>, Node>)
      fail("graph '", graph.name, "': ", where.describe(), " refers to value id ", v, " out of range");
    else
      fail("graph '", graph.name, "': ", where, " refers to value id ", v, " out of range");
  };
  std::vector<NodeId> producer(graph.values.size(), kNoNode);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    if (node.dead) continue;
    for (ValueId out : node.outputs) {
      if (out == kNoValue) continue;
      check_id(out, node);
      if (producer[static_cast<size_t>(out)] != kNoNode)
        fail("graph '", graph.name, "': value '", graph.value(out).name, "' is produced by two nodes, ",
             graph.nodes[static_cast<size_t>(producer[static_cast<size_t>(out)])].describe(), " and ", node.describe());
      if (graph.value(out).is_constant())
        fail("graph '", graph.name, "': ", node.describe(), " writes constant '", graph.value(out).name, "'");
      producer[static_cast<size_t>(out)] = static_cast<NodeId>(n);
      if (graph.value(out).producer != static_cast<NodeId>(n))
        fail("graph '", graph.name, "': value '", graph.value(out).name, "' does not record ", node.describe(),
             " as its producer");
    }
  }
  std::vector<char> is_input(graph.values.size(), 0);
  for (ValueId v : graph.inputs) {
    check_id(v, "graph input");
    is_input[static_cast<size_t>(v)] = 1;
  }
  for (const Node& node : graph.nodes) {
    if (node.dead) continue;
    for (ValueId in : node.inputs) {
      if (in == kNoValue) continue;
      check_id(in, node);
      const size_t i = static_cast<size_t>(in);
      if (producer[i] == kNoNode && !is_input[i] && !graph.values[i].is_constant())
        fail("graph '", graph.name, "': ", node.describe(), " reads '", graph.values[i].name,
             "', which no node produces and which is neither a graph input nor an initializer");
    }
  }
  for (const Node& node : graph.nodes) {
    if (node.dead) continue;
    if (node.captures < 0 || static_cast<size_t>(node.captures) > node.inputs.size())
      fail("graph '", graph.name, "': ", node.describe(), " claims ", node.captures, " captured inputs of ",
           node.inputs.size());
    for (const auto& [key, a] : node.attrs) {
      if (a.kind != Attribute::Kind::kGraph) continue;
      if (!a.graph) fail("graph '", graph.name, "': ", node.describe(), " has an empty graph attribute '", key, "'");
      if (a.graph->inputs.size() < static_cast<size_t>(node.captures))
        fail("graph '", graph.name, "': ", node.describe(), " subgraph '", key, "' lists ", a.graph->inputs.size(),
             " inputs, fewer than the node's ", node.captures, " captured values");
      verify(*a.graph);
    }
  }
  for (ValueId v : graph.outputs) {
    check_id(v, "graph output");
    const size_t i = static_cast<size_t>(v);
    if (producer[i] == kNoNode && !is_input[i] && !graph.values[i].is_constant())
      fail("graph '", graph.name, "': output '", graph.values[i].name, "' is never produced");
  }
  graph.topological_order();  // throws on a cycle
}

}  // namespace octet::ir
