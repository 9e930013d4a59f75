// MaxPool on uint8/int8 tensors (fold_qdq leaves DQ -> MaxPool -> Q as MaxPool on the
// quantized tensor) on oneDNN's pooling, in NHWC so it sits between INT8 convolutions
// without reorders.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"

namespace octet::rt::onednn::int8 {
namespace {

struct Setup {
  Layout layout = Layout::kNhwc;
  dnnl::pooling_v2_forward::primitive_desc pd;
};

std::string setup(const KernelContext& ctx, Setup& s) {
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& y = ctx.outputs[0];
  if (x.dtype != DType::kUInt8 && x.dtype != DType::kInt8) return "only for uint8/int8 tensors";
  if (y.dtype != x.dtype) return "output dtype differs from input dtype";
  if (ctx.outputs.size() > 1 && ctx.outputs[1].present()) return "the Indices output is not computed for int8";
  if (x.shape.size() < 3 || x.shape.size() > 5) return "needs rank 3 to 5";
  if (ctx.node->attr_int("storage_order", 0) != 0) return "storage_order only matters for Indices";
  Window w;
  if (std::string why = forward_window(*ctx.node, x.shape, y.shape, {}, w); !why.empty()) return why;
  s.layout = int8_layout(x.shape.size());
  s.pd = int8_pool_pd(dnnl::algorithm::pooling_max, x, y, s.layout, w);
  return reference_why_not(s.pd);
}

class MaxPoolKernel final : public DnnlKernel {
 public:
  MaxPoolKernel(KernelContext& ctx, Setup& s) {
    ctx.inputs[0].layout = s.layout;
    ctx.outputs[0].layout = s.layout;
    add_call(dnnl::pooling_v2_forward(s.pd), s.pd,
             {{DNNL_ARG_SRC, src_memory(0, s.pd.src_desc())}, {DNNL_ARG_DST, dst_memory(0, s.pd.dst_desc())}});
  }
};

std::string why_not(const KernelContext& ctx) {
  Setup s;
  return why_not_guarded([&] { return setup(ctx, s); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  Setup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_int8_maxpool cannot run it: ", why);
  return std::make_unique<MaxPoolKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> maxpool_entries() { return {{"dnnl_int8_maxpool", ir::OpKind::MaxPool, why_not, create}}; }

}  // namespace octet::rt::onednn::int8
