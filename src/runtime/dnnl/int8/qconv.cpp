// QConv on oneDNN's INT8 convolution with the whole requantization fused: per-channel output
// scales (mask 2), src and dst zero points, the residual as a sum post-op with its own scale
// and zero point, the activation as eltwise post-ops. Weights (int8, groups split out) and
// the bias are packed once at create time. src, dst and the residual are NHWC.
#include <cstdlib>

#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_window.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"
#include "runtime/ref/q_attrs.hpp"
#include "runtime/ref/q_kernels.hpp"

namespace octet::rt::onednn::int8 {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

struct Setup {
  q::QuantAttrs attrs;
  // Without VNNI oneDNN runs an int8 source with its weights halved (a lost bit). When the
  // weights fit in 7 bits, running source + 128 as uint8 with zero point + 128 instead is
  // exact: one extra pass over the input, made only on such CPUs.
  bool shift_src = false;
  DType dtype_src = DType::kUInt8;  // what the convolution reads
  int32_t zero_point_src = 0;
  q::Requant requant;
  Window window;
  int64_t groups = 1;
  bool has_bias = false, has_sum = false;
  DType dtype_bias = DType::kInt32;
  Layout layout = Layout::kNhwc;
  dnnl::convolution_forward::primitive_desc pd;
};

dnnl::memory::desc weights_md(const Shape& w, int64_t groups, tag t) {
  dnnl::memory::dims dims = dims_of(w);
  if (groups > 1) {
    dims[0] /= groups;
    dims.insert(dims.begin(), groups);
  }
  if (t == tag::undef) t = tag_of(Layout::kPlain, dims.size());
  return dnnl::memory::desc(dims, dt::s8, t);
}

// Appends the requantization's post-ops: the clamp of range_acc, sum, activation, and the
// scale after a real-domain activation. Returns why not when oneDNN lacks the activation.
std::string append_post_ops(const Setup& s, DType dtype_sum, dnnl::post_ops& ops) {
  const q::Requant& r = s.requant;
  if (r.clip) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_clip_v2, r.clip_lo, r.clip_hi);
  if (s.has_sum) {
    if (r.dtype_y == DType::kFloat32) ops.append_sum(1.0f);
    else ops.append_sum(r.scale_sum, r.zero_point_sum, dt_of(dtype_sum));
  }
  append_activation(ops, r.activation);
  if (r.scale_post != 1.0f) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, r.scale_post, 0.0f);
  return "";
}

std::string choose_pd(const KernelContext& ctx, Setup& s) {
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& y = ctx.outputs[0];
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto& scales = s.requant.scale_acc;
  bool uniform = true;
  for (float v : scales) uniform = uniform && v == scales[0];
  if (uniform) attr.set_output_scales(0, {scales[0]});
  else attr.set_output_scales(1 << 1, scales);
  if (s.zero_point_src != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  if (s.requant.zero_point_y != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
  dnnl::post_ops ops;
  const DType dtype_sum = s.has_sum ? ctx.inputs[3].dtype : DType::kUndefined;
  if (std::string why = append_post_ops(s, dtype_sum, ops); !why.empty()) return why;
  attr.set_post_ops(ops);
  const dnnl::memory::desc wei = weights_md(ctx.inputs[1].shape, s.groups, tag::any);
  const dnnl::memory::desc bias =
      s.has_bias ? dnnl::memory::desc({y.shape[1]}, dt_of(s.dtype_bias), tag::a) : dnnl::memory::desc();
  std::string tried;
  // NHWC is what oneDNN's INT8 convolutions run on; plain is a last resort for odd ranks.
  for (Layout l : {Layout::kNhwc, Layout::kPlain}) {
    if (!layout_fits(l, x.shape.size())) continue;
    try {
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                        md_of(x.shape, s.dtype_src, l), wei, bias, md_of(y.shape, y.dtype, l),
                                        s.window.strides, s.window.dilations, s.window.pad_l, s.window.pad_r);
      dnnl::convolution_forward::primitive_desc pd(d, attr, engine());
      if (is_reference_impl(pd)) {
        tried += cat(tried.empty() ? "" : ", ", impl_of(pd));
        continue;
      }
      s.pd = pd;
      s.layout = l;
      return "";
    } catch (const dnnl::error& e) {
      tried += cat(tried.empty() ? "" : ", ", layout_name(l), ": ", e.what());
    }
  }
  return cat("oneDNN has no fast INT8 convolution for it (", tried, ")");
}

std::string setup(const KernelContext& ctx, Setup& s) {
  if (std::string why = ref::qconv_why_not(ctx); !why.empty()) return why;
  s.attrs = q::read_quant_attrs(*ctx.node);
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& y = ctx.outputs[0];
  const Shape& w = ctx.inputs[1].shape;
  s.requant = q::Requant::make(s.attrs, y.shape[1]);
  s.dtype_src = x.dtype;
  s.zero_point_src = s.attrs.zero_point_x;
  if (x.dtype == DType::kInt8 && !int8_dot_products_exact()) {
    const Tensor& wt = *ctx.constants[1];
    bool seven_bit = true;
    for (int64_t i = 0; i < wt.numel() && seven_bit; ++i) seven_bit = std::abs(wt.data<int8_t>()[i]) <= 63;
    if (seven_bit) {
      s.shift_src = true;
      s.dtype_src = DType::kUInt8;
      s.zero_point_src = s.attrs.zero_point_x + 128;
    }
  }
  s.groups = ctx.node->attr_int("group", 1);
  s.has_bias = ctx.inputs.size() > 2 && ctx.inputs[2].present();
  if (s.has_bias) s.dtype_bias = ctx.inputs[2].dtype;
  s.has_sum = ctx.inputs.size() > 3 && ctx.inputs[3].present();
  if (s.has_sum && dtype_size(ctx.inputs[3].dtype) != dtype_size(y.dtype))
    return "the residual's element size differs from the output's";
  const std::vector<int64_t> kernel(w.begin() + 2, w.end());
  if (std::string why = forward_window(*ctx.node, x.shape, y.shape, kernel, s.window); !why.empty()) return why;
  return choose_pd(ctx, s);
}

class QConvKernel final : public DnnlKernel {
 public:
  QConvKernel(KernelContext& ctx, Setup& s) {
    ctx.inputs[0].layout = s.layout;
    ctx.outputs[0].layout = s.layout;
    const auto& pd = s.pd;
    dnnl::memory src = src_memory(0, md_of(ctx.inputs[0].shape, ctx.inputs[0].dtype, s.layout));
    if (s.shift_src) {
      // int8 -> uint8 + 128, exactly: a reorder with a dst zero point of 128.
      dnnl::memory shifted = scratch_memory(pd.src_desc());
      dnnl::primitive_attr attr = base_attr();
      attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
      dnnl::reorder::primitive_desc rpd(engine(), src.get_desc(), engine(), pd.src_desc(), attr);
      add_call(dnnl::reorder(rpd), rpd,
               {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, shifted}, {DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST, zero_point_memory(128)}});
      src = shifted;
    }
    dnnl::memory wei = pack_constant(ctx.constants[1]->bytes.data(),
                                     weights_md(ctx.inputs[1].shape, s.groups, tag::undef), pd.weights_desc());
    std::vector<std::pair<int, dnnl::memory>> args = {
        {DNNL_ARG_SRC, src},
        {DNNL_ARG_WEIGHTS, wei},
        {DNNL_ARG_DST, dst_memory(0, pd.dst_desc())},
    };
    if (s.has_bias) {
      const dnnl::memory::desc user({ctx.outputs[0].shape[1]}, dt_of(s.dtype_bias), tag::a);
      args.emplace_back(DNNL_ARG_BIAS, pack_constant(ctx.constants[2]->bytes.data(), user, pd.bias_desc()));
    }
    if (s.zero_point_src != 0)
      args.emplace_back(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zero_point_memory(s.zero_point_src));
    if (s.requant.zero_point_y != 0)
      args.emplace_back(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST, zero_point_memory(s.requant.zero_point_y));
    if (s.has_sum) {
      // The sum post-op accumulates into dst, so dst starts as the residual; the planner may
      // hand both the same buffer.
      ctx.inputs[3].layout = s.layout;
      copy_input_to_output(3, 0, ctx.outputs[0].bytes());
      ctx.output0_may_alias = 3;
    }
    add_call(dnnl::convolution_forward(pd), pd, std::move(args));
  }
};

std::string why_not(const KernelContext& ctx) {
  Setup s;
  return why_not_guarded([&] { return setup(ctx, s); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  Setup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_qconv cannot run it: ", why);
  return std::make_unique<QConvKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> qconv_entries() { return {{"dnnl_qconv", ir::OpKind::QConv, why_not, create}}; }

}  // namespace octet::rt::onednn::int8
