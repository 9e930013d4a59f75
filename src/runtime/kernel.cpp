// Layout sizes, kernel lookup and the reference node evaluator.
#include "runtime/kernel.hpp"

#include <cstdlib>

#include "ir/shapes/shape_fn.hpp"
#include "octet/error.hpp"

namespace octet::rt {

const char* layout_name(Layout layout) {
  switch (layout) {
    case Layout::kPlain: return "plain";
    case Layout::kNhwc: return "nhwc";
    case Layout::kNChw8c: return "nChw8c";
  }
  return "?";
}

size_t TensorDesc::bytes() const {
  if (!present()) return 0;
  int64_t n = numel();
  if (layout == Layout::kNChw8c && shape.size() >= 2 && shape[1] > 0) {
    const int64_t c = shape[1], c_padded = (c + 7) / 8 * 8;
    n = n / c * c_padded;
  }
  return static_cast<size_t>(n) * dtype_size(dtype);
}

const ir::Attribute* KernelContext::attr(const std::string& key) const {
  auto it = node->attrs.find(key);
  return it == node->attrs.end() ? nullptr : &it->second;
}

std::vector<const KernelEntry*> kernels_for(ir::OpKind op) {
  std::vector<const KernelEntry*> result;
  for (const KernelEntry& e : kernel_table())
    if (e.op == op) result.push_back(&e);
  return result;
}

bool op_supported(ir::OpKind op) { return !kernels_for(op).empty(); }

namespace {

// 64-byte aligned host buffer for evaluate_node's scratch.
struct AlignedBuffer {
  void* ptr = nullptr;
  explicit AlignedBuffer(size_t bytes) {
    if (bytes) ptr = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  }
  ~AlignedBuffer() { std::free(ptr); }
};

// Output values of `node` as its shape function gives them for these input tensors, on a
// scratch graph: the graph's own shapes may leave the batch dynamic, as in a model kept
// batch-agnostic for export, while an evaluation has concrete inputs.
std::vector<ir::Value> outputs_for_inputs(const ir::Graph& graph, const ir::Node& node,
                                          const std::vector<const Tensor*>& inputs) {
  ir::Graph scratch;
  scratch.opset = graph.opset;
  ir::Node copy = node;
  for (size_t i = 0; i < copy.inputs.size(); ++i) {
    if (copy.inputs[i] == ir::kNoValue) continue;
    ir::Value v = graph.value(copy.inputs[i]);
    if (i < inputs.size() && inputs[i]) {
      v.dtype = inputs[i]->dtype;
      v.shape = inputs[i]->shape;
      v.has_shape = true;
      v.dim_params.assign(v.shape.size(), "");
      // Shape functions may read constant inputs (Reshape's shape); the tensor outlives this.
      v.data = std::shared_ptr<const Tensor>(std::shared_ptr<const Tensor>(), inputs[i]);
    }
    v.producer = ir::kNoNode;
    copy.inputs[i] = scratch.add_value(std::move(v));
  }
  for (ir::ValueId& out : copy.outputs) {
    if (out == ir::kNoValue) continue;
    ir::Value v;
    v.name = graph.value(out).name;
    out = scratch.add_value(std::move(v));
  }
  scratch.add_node(copy);
  if (const ir::ShapeFn fn = ir::shape_fn_for(node.op)) fn(scratch, scratch.nodes.back());
  std::vector<ir::Value> result;
  for (ir::ValueId out : copy.outputs) result.push_back(out == ir::kNoValue ? ir::Value{} : scratch.value(out));
  return result;
}

}  // namespace

std::vector<Tensor> evaluate_node(const ir::Graph& graph, const ir::Node& node,
                                  const std::vector<const Tensor*>& inputs) {
  KernelContext ctx;
  ctx.graph = &graph;
  ctx.node = &node;
  for (const Tensor* t : inputs) {
    TensorDesc d;
    if (t) { d.dtype = t->dtype; d.shape = t->shape; }
    ctx.inputs.push_back(d);
    ctx.constants.push_back(t);
  }
  bool outputs_static = true;
  for (ir::ValueId out : node.outputs)
    if (out != ir::kNoValue)
      for (int64_t dim : graph.value(out).shape) outputs_static = outputs_static && dim >= 0;
  std::vector<ir::Value> inferred;
  if (!outputs_static) inferred = outputs_for_inputs(graph, node, inputs);
  for (size_t o = 0; o < node.outputs.size(); ++o) {
    TensorDesc d;
    if (node.outputs[o] != ir::kNoValue) {
      const ir::Value& v = outputs_static ? graph.value(node.outputs[o]) : inferred[o];
      d.dtype = v.dtype;
      d.shape = v.shape;
      for (int64_t dim : d.shape)
        if (dim < 0) fail(node.describe(), ": output '", v.name, "' has unknown shape ", shape_str(v.shape));
    }
    ctx.outputs.push_back(d);
  }
  std::string reasons;
  for (const KernelEntry* e : kernels_for(node.op)) {
    if (!e->reference) continue;
    const std::string why = e->why_not(ctx);
    if (!why.empty()) { reasons += cat(" ", e->name, ": ", why, ";"); continue; }
    std::vector<Tensor> outputs;
    for (const TensorDesc& d : ctx.outputs) outputs.emplace_back(d.present() ? d.dtype : DType::kFloat32,
                                                                  d.present() ? d.shape : Shape{0});
    if (e->output_aliases_input0) {
      outputs[0].bytes = inputs[0]->bytes;
      return outputs;
    }
    auto kernel = e->create(ctx);
    std::vector<const void*> src;
    for (const Tensor* t : inputs) src.push_back(t ? t->bytes.data() : nullptr);
    std::vector<void*> dst;
    for (Tensor& t : outputs) dst.push_back(t.bytes.data());
    AlignedBuffer scratch(kernel->scratch_bytes());
    kernel->execute({src.data(), dst.data(), scratch.ptr});
    return outputs;
  }
  fail(node.describe(), ": no reference kernel can evaluate it", reasons.empty() ? "" : " (", reasons,
       reasons.empty() ? "" : ")");
}

}  // namespace octet::rt
