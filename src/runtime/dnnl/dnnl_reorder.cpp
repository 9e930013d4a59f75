// Reorder, the layout change the planner inserts between kernels, on oneDNN's reorder: its
// jit copies beat the reference's element loop, and it writes nChw8c's channel padding as zeros.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"

namespace octet::rt::onednn {
namespace {

class ReorderKernel final : public DnnlKernel {
 public:
  explicit ReorderKernel(const KernelContext& ctx) {
    const dnnl::memory::desc src = md_of(ctx.inputs[0]), dst = md_of(ctx.outputs[0]);
    dnnl::reorder::primitive_desc pd(engine(), src, engine(), dst, base_attr());
    add_call(dnnl::reorder(pd), pd, {{DNNL_ARG_FROM, src_memory(0, src)}, {DNNL_ARG_TO, dst_memory(0, dst)}});
  }
};

std::string why_not(const KernelContext& ctx) {
  if (ctx.inputs.size() != 1 || ctx.outputs.size() != 1) return "needs one input and one output";
  const TensorDesc& in = ctx.inputs[0];
  const TensorDesc& out = ctx.outputs[0];
  if (in.dtype != out.dtype) return "changes the dtype";
  if (dt_of(in.dtype) == dnnl::memory::data_type::undef) return cat("oneDNN has no ", dtype_name(in.dtype));
  if (in.shape != out.shape) return "changes the shape";
  const size_t rank = in.shape.empty() ? 1 : in.shape.size();
  if (!layout_fits(in.layout, rank) || !layout_fits(out.layout, rank)) return "layout not available at this rank";
  if (in.numel() == 0) return "empty tensor";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<ReorderKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> reorder_entries() { return {{"dnnl_reorder", ir::OpKind::Reorder, why_not, create}}; }

}  // namespace octet::rt::onednn
