// MaxPool and GlobalMaxPool on uint8/int8 tensors (fold_qdq leaves DQ -> MaxPool -> Q as MaxPool on the
// quantized tensor) on oneDNN's pooling, in NHWC so it sits between INT8 convolutions
// without reorders.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"

namespace octet::rt::onednn::int8 {
namespace {

using Setup = Int8PoolSetup;

std::string setup(const KernelContext& ctx, Setup& s) {
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& y = ctx.outputs[0];
  if (x.dtype != DType::kUInt8 && x.dtype != DType::kInt8) return "only for uint8/int8 tensors";
  if (y.dtype != x.dtype) return "output dtype differs from input dtype";
  if (ctx.outputs.size() > 1 && ctx.outputs[1].present()) return "the Indices output is not computed for int8";
  if (x.shape.size() < 3 || x.shape.size() > 5) return "needs rank 3 to 5";
  if (ctx.node->attr_int("storage_order", 0) != 0) return "storage_order only matters for Indices";
  // GlobalMaxPool is a MaxPool whose window is the whole plane.
  const std::vector<int64_t> plane = ctx.node->op == ir::OpKind::GlobalMaxPool
                                         ? std::vector<int64_t>(x.shape.begin() + 2, x.shape.end())
                                         : std::vector<int64_t>{};
  Window w;
  if (std::string why = forward_window(*ctx.node, x.shape, y.shape, plane, w); !why.empty()) return why;
  s.layout = int8_layout(x.shape.size());
  s.pd = int8_pool_pd(dnnl::algorithm::pooling_max, x, y, s.layout, w);
  return reference_why_not(s.pd);
}

std::string why_not(const KernelContext& ctx) {
  Setup s;
  return why_not_guarded([&] { return setup(ctx, s); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  Setup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_int8_maxpool cannot run it: ", why);
  return std::make_unique<Int8PoolKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> maxpool_entries() {
  return {{"dnnl_int8_maxpool", ir::OpKind::MaxPool, why_not, create},
          {"dnnl_int8_maxpool", ir::OpKind::GlobalMaxPool, why_not, create}};
}

}  // namespace octet::rt::onednn::int8
