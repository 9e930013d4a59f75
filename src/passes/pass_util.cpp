// Shared helpers of the FP32 passes (see pass_util.hpp).
#include "passes/pass_util.hpp"

#include <algorithm>
#include <iterator>
#include <limits>
#include <stdexcept>

#include "ir/shapes/shape_util.hpp"

namespace octet::passes {

namespace {

constexpr size_t kCheckedNodes = 512;  // graphs up to this size verify the index (Uses::check)

// The distinct inputs a live node reads, sorted; none for a dead node.
std::vector<ir::ValueId> read_values(const ir::Node& node) {
  std::vector<ir::ValueId> r;
  if (node.dead) return r;
  for (ir::ValueId v : node.inputs)
    if (v != ir::kNoValue) r.push_back(v);
  std::sort(r.begin(), r.end());
  r.erase(std::unique(r.begin(), r.end()), r.end());
  return r;
}

}  // namespace

Uses::Uses(const ir::Graph& g)
    : graph_(g), of_(g.consumers()), indexed_(g.nodes.size()), is_output_(g.output_mask()) {
  for (size_t n = 0; n < g.nodes.size(); ++n) indexed_[n] = read_values(g.nodes[n]);
}

void Uses::index(ir::NodeId n) {
  const std::vector<ir::ValueId> now = read_values(graph_.nodes.at(static_cast<size_t>(n)));
  std::vector<ir::ValueId>& before = indexed_[static_cast<size_t>(n)];
  std::vector<ir::ValueId> gone, added;
  std::set_difference(before.begin(), before.end(), now.begin(), now.end(), std::back_inserter(gone));
  std::set_difference(now.begin(), now.end(), before.begin(), before.end(), std::back_inserter(added));
  for (ir::ValueId v : gone) {
    auto& list = of_[static_cast<size_t>(v)];
    list.erase(std::lower_bound(list.begin(), list.end(), n));
  }
  for (ir::ValueId v : added) {
    auto& list = of_[static_cast<size_t>(v)];
    list.insert(std::lower_bound(list.begin(), list.end(), n), n);
  }
  before = now;
}

void Uses::update(const std::vector<ir::NodeId>& nodes) {
  of_.resize(graph_.values.size());
  indexed_.resize(graph_.nodes.size());
  for (ir::NodeId n : nodes)
    if (n != ir::kNoNode) index(n);
  check();
}

void Uses::replace_uses(ir::Graph& graph, ir::ValueId from, ir::ValueId to) {
  const std::vector<ir::NodeId> readers = of(from);  // index() edits the list
  for (ir::NodeId n : readers) {
    for (ir::ValueId& in : graph.nodes[static_cast<size_t>(n)].inputs)
      if (in == from) in = to;
  }
  for (ir::ValueId& out : graph.outputs)
    if (out == from) out = to;
  of_.resize(graph_.values.size());
  is_output_.resize(graph_.values.size());
  if (is_output_[static_cast<size_t>(from)]) is_output_[static_cast<size_t>(to)] = 1;
  is_output_[static_cast<size_t>(from)] = from == to && is_output_[static_cast<size_t>(from)];
  for (ir::NodeId n : readers) index(n);
  check();
}

const std::vector<ir::NodeId>& Uses::of(ir::ValueId v) const {
  static const std::vector<ir::NodeId> none;
  return v >= 0 && static_cast<size_t>(v) < of_.size() ? of_[static_cast<size_t>(v)] : none;
}

bool Uses::is_output(ir::ValueId v) const {
  return v >= 0 && static_cast<size_t>(v) < is_output_.size() && is_output_[static_cast<size_t>(v)];
}

void Uses::check() const {
  if (graph_.nodes.size() > kCheckedNodes) return;
  auto fresh = graph_.consumers();
  fresh.resize(of_.size());
  auto mask = graph_.output_mask();
  mask.resize(is_output_.size());
  if (fresh != of_ || mask != is_output_)
    throw std::logic_error("passes::Uses: a rewrite changed a node or output it did not tell the index about");
}

ir::NodeId Uses::sole(ir::ValueId v) const {
  if (v == ir::kNoValue || is_output(v)) return ir::kNoNode;
  const auto& users = of(v);
  return users.size() == 1 ? users[0] : ir::kNoNode;
}

bool Uses::unused(ir::ValueId v) const {
  return v == ir::kNoValue || (of(v).empty() && !is_output(v));
}

ir::NodeId producer_of(const ir::Graph& graph, ir::ValueId v, ir::OpKind op) {
  if (v == ir::kNoValue) return ir::kNoNode;
  const ir::NodeId p = graph.value(v).producer;
  if (p == ir::kNoNode) return ir::kNoNode;
  const ir::Node& n = graph.nodes[static_cast<size_t>(p)];
  return !n.dead && n.op == op ? p : ir::kNoNode;
}

const Tensor* f32_constant(const ir::Graph& graph, ir::ValueId v) {
  const Tensor* t = graph.constant(v);
  return t && t->dtype == DType::kFloat32 ? t : nullptr;
}

std::optional<float> scalar_constant(const ir::Graph& graph, ir::ValueId v) {
  const Tensor* t = graph.constant(v);
  if (!t || t->numel() != 1) return std::nullopt;
  if (t->dtype == DType::kFloat32) return t->data<float>()[0];
  if (t->dtype == DType::kFloat64) return static_cast<float>(t->data<double>()[0]);
  if (t->dtype == DType::kInt64 || t->dtype == DType::kInt32) return static_cast<float>(ir::shapes::tensor_ints(*t)[0]);
  return std::nullopt;
}

ir::ValueId add_f32(ir::Graph& graph, const std::string& base, Shape shape, const std::vector<float>& data) {
  return graph.add_constant(base, Tensor::from_vector<float>(DType::kFloat32, std::move(shape), data));
}

void take_output(ir::Graph& graph, ir::NodeId keep, ir::NodeId absorbed, size_t index) {
  ir::Node& a = graph.nodes[static_cast<size_t>(absorbed)];
  const ir::ValueId out = a.outputs.at(index);
  a.dead = true;
  ir::Node& k = graph.nodes[static_cast<size_t>(keep)];
  const ir::ValueId old = k.outputs.at(0);
  graph.value(old).producer = ir::kNoNode;
  k.outputs[0] = out;
  graph.value(out).producer = keep;
}

bool depends_on(const ir::Graph& graph, ir::ValueId target, ir::NodeId source) {
  std::vector<char> seen(graph.nodes.size(), 0);
  std::vector<ir::ValueId> stack = {target};
  while (!stack.empty()) {
    const ir::ValueId v = stack.back();
    stack.pop_back();
    if (v == ir::kNoValue) continue;
    const ir::NodeId p = graph.value(v).producer;
    if (p == ir::kNoNode || seen[static_cast<size_t>(p)]) continue;
    if (p == source) return true;
    seen[static_cast<size_t>(p)] = 1;
    for (ir::ValueId in : graph.nodes[static_cast<size_t>(p)].inputs) stack.push_back(in);
  }
  return false;
}

std::optional<ir::FusedActivation> activation_of(const ir::Graph& graph, const ir::Node& node) {
  using ir::ActivationKind;
  using ir::OpKind;
  // An ONNX op's attributes have the same names and defaults as the fused form's.
  auto same = [&](ActivationKind kind) {
    ir::FusedActivation a = ir::default_activation(kind);
    a.alpha = node.attr_float("alpha", a.alpha);
    a.beta = node.attr_float("beta", a.beta);
    return a;
  };
  switch (node.op) {
    case OpKind::Relu: return same(ActivationKind::kRelu);
    case OpKind::Sigmoid: return same(ActivationKind::kSigmoid);
    case OpKind::Tanh: return same(ActivationKind::kTanh);
    case OpKind::HardSwish: return same(ActivationKind::kHardSwish);
    case OpKind::LeakyRelu: return same(ActivationKind::kLeakyRelu);
    case OpKind::HardSigmoid: return same(ActivationKind::kHardSigmoid);
    case OpKind::Clip: {
      ir::FusedActivation a = ir::default_activation(ActivationKind::kClip);
      if (graph.opset < 11) {
        a.alpha = node.attr_float("min", a.alpha);
        a.beta = node.attr_float("max", a.beta);
        return a;
      }
      // Bounds are optional inputs from opset 11; they must be constant to fuse.
      for (size_t i = 1; i <= 2; ++i) {
        if (node.input(i) == ir::kNoValue) continue;
        const auto bound = scalar_constant(graph, node.input(i));
        if (!bound) return std::nullopt;
        (i == 1 ? a.alpha : a.beta) = *bound;
      }
      return a;
    }
    default: return std::nullopt;
  }
}

}  // namespace octet::passes
