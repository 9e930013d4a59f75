// MaxPool, AveragePool, GlobalAveragePool and GlobalMaxPool on oneDNN's pooling_v2 (which has
// dilations). They run in whatever layout their input arrives in (nhwc or nChw8c between
// convolutions), so pools never cost a reorder.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"
#include "runtime/dnnl/dnnl_window.hpp"

namespace octet::rt::onednn {
namespace {

using ir::OpKind;

struct PoolSetup {
  Window window;
  dnnl::algorithm alg = dnnl::algorithm::pooling_max;
};

std::string setup(const KernelContext& ctx, PoolSetup& s) {
  if (ctx.inputs.size() != 1 || !ctx.inputs[0].present()) return "needs one input";
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& y = ctx.outputs[0];
  if (x.dtype != DType::kFloat32 || y.dtype != DType::kFloat32) return "not float32";
  if (ctx.outputs.size() > 1 && ctx.outputs[1].present()) return "MaxPool's Indices output is not supported";
  if (x.shape.size() < 3 || x.shape.size() > 5) return "needs rank 3 to 5";
  if (!layout_fits(x.layout, x.shape.size())) return "input layout not available at this rank";
  if (x.numel() == 0) return "empty input";
  const OpKind op = ctx.node->op;
  if (op == OpKind::GlobalAveragePool || op == OpKind::GlobalMaxPool) {
    s.alg = op == OpKind::GlobalMaxPool ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
    for (size_t i = 2; i < x.shape.size(); ++i) {
      s.window.kernel.push_back(x.shape[i]);
      s.window.strides.push_back(1);
      s.window.dilations.push_back(0);
      s.window.pad_l.push_back(0);
      s.window.pad_r.push_back(0);
    }
    return "";
  }
  if (!ctx.node->has_attr("kernel_shape")) return "kernel_shape is required";
  if (ctx.node->attr_int("storage_order", 0) != 0) return "storage_order 1 only matters for Indices";
  if (std::string why = forward_window(*ctx.node, x.shape, y.shape, {}, s.window); !why.empty()) return why;
  if (op == OpKind::AveragePool) {
    const bool include_pad = ctx.node->attr_int("count_include_pad", 0) != 0;
    // oneDNN divides by the whole window when padding counts; ONNX does not count the part
    // that ceil_mode adds past the pads.
    if (include_pad && s.window.pads_extended) return "count_include_pad with a ceil_mode window past the pads";
    s.alg = include_pad ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding;
  }
  return "";
}

dnnl::pooling_v2_forward::primitive_desc make_pd(const KernelContext& ctx, const PoolSetup& s) {
  const dnnl::memory::desc src = md_of(ctx.inputs[0]);
  const dnnl::memory::desc dst = md_of(ctx.outputs[0].shape, DType::kFloat32, ctx.inputs[0].layout);
  dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, s.alg, src, dst, s.window.strides,
                                   s.window.kernel, s.window.dilations, s.window.pad_l, s.window.pad_r);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::pooling_v2_forward::primitive_desc(d, attr, engine());
}

class PoolKernel final : public DnnlKernel {
 public:
  PoolKernel(KernelContext& ctx, const PoolSetup& s) {
    ctx.outputs[0].layout = ctx.inputs[0].layout;
    const auto pd = make_pd(ctx, s);
    add_call(dnnl::pooling_v2_forward(pd), pd,
             {{DNNL_ARG_SRC, src_memory(0, pd.src_desc())}, {DNNL_ARG_DST, dst_memory(0, pd.dst_desc())}});
  }
};

std::string why_not(const KernelContext& ctx) {
  PoolSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) return why;
  return why_not_guarded([&] { return reference_why_not(make_pd(ctx, s)); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  PoolSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_pool cannot run it: ", why);
  return std::make_unique<PoolKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> pool_entries() {
  return {{"dnnl_pool", OpKind::MaxPool, why_not, create},
          {"dnnl_pool", OpKind::AveragePool, why_not, create},
          {"dnnl_pool", OpKind::GlobalAveragePool, why_not, create},
          {"dnnl_pool", OpKind::GlobalMaxPool, why_not, create}};
}

}  // namespace octet::rt::onednn
