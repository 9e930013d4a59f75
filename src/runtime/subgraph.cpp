// Compiling and running subgraphs for the control-flow kernels.
#include "runtime/subgraph.hpp"

#include <cstring>

#include "ir/shape_inference.hpp"
#include "octet/error.hpp"
#include "passes/pipeline.hpp"

namespace octet::rt {

CompiledBody::CompiledBody(const ir::Graph& body, const std::vector<ir::InputType>& types, const ir::Node& owner,
                           int threads) {
  auto graph = std::make_shared<ir::Graph>(ir::bind_subgraph(body, types, owner, false));
  try {
    passes::PassOptions options;
    options.evaluate = evaluate_node;
    passes::optimize(*graph, options);
    ir::infer_shapes(*graph, true);
    plan_ = Plan::compile(graph, PlanOptions{threads, false});
  } catch (const Error& e) {
    // A dynamic dim left after binding the body to the node's input types depends on values
    // computed inside the body (a Slice by the iteration number): one static plan cannot hold it.
    const std::string what = e.what();
    const bool dynamic = what.find("dynamic shape") != std::string::npos;
    fail(owner.describe(), ": its subgraph '", body.name, "': ", what,
         dynamic ? "; a body whose shapes change from run to run is not supported by octet (it compiles each "
                   "body once, with static shapes)"
                 : "");
  }
}

void CompiledBody::run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs) {
  plan_->run(inputs, outputs);  // on its own team size, the enclosing plan's restored after
}

std::vector<ir::InputType> input_types(const KernelContext& ctx, size_t first) {
  std::vector<ir::InputType> types;
  for (size_t i = first; i < ctx.inputs.size(); ++i) types.push_back(type_of(ctx.inputs[i]));
  return types;
}

void request_plain_inputs(KernelContext& ctx) {
  for (TensorDesc& d : ctx.inputs)
    if (d.present()) d.layout = Layout::kPlain;
}

std::string desc_mismatch(const TensorDesc& got, const TensorDesc& want, const std::string& what) {
  if (got.dtype == want.dtype && got.shape == want.shape) return "";
  return cat(what, " is ", dtype_name(got.dtype), " ", shape_str(got.shape), " but ", dtype_name(want.dtype), " ",
             shape_str(want.shape), " is expected (octet compiles static shapes)");
}

namespace {

// outer x len x inner bytes around `axis`.
struct SliceGeometry {
  int64_t outer = 1, len = 1;
  size_t inner = 1;
  SliceGeometry(const Shape& shape, size_t elem, int64_t axis) {
    inner = elem;
    for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
      if (d < axis) outer *= shape[static_cast<size_t>(d)];
      else if (d == axis) len = shape[static_cast<size_t>(d)];
      else inner *= static_cast<size_t>(shape[static_cast<size_t>(d)]);
    }
  }
};

}  // namespace

void gather_slice(const void* src, const Shape& shape, size_t elem, int64_t axis, int64_t index, void* dst) {
  const SliceGeometry g(shape, elem, axis);
  if (g.inner == 0) return;
  for (int64_t o = 0; o < g.outer; ++o)
    std::memcpy(static_cast<char*>(dst) + static_cast<size_t>(o) * g.inner,
                static_cast<const char*>(src) + static_cast<size_t>(o * g.len + index) * g.inner, g.inner);
}

void scatter_slice(const void* src, const Shape& shape, size_t elem, int64_t axis, int64_t index, void* dst) {
  const SliceGeometry g(shape, elem, axis);
  if (g.inner == 0) return;
  for (int64_t o = 0; o < g.outer; ++o)
    std::memcpy(static_cast<char*>(dst) + static_cast<size_t>(o * g.len + index) * g.inner,
                static_cast<const char*>(src) + static_cast<size_t>(o) * g.inner, g.inner);
}

}  // namespace octet::rt
