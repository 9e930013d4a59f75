// Conv and FusedConv on oneDNN's convolution: groups, depthwise, dilations, pads, auto_pad,
// bias, and FusedConv's residual (a sum post-op) and activation (eltwise post-ops). Weights
// are packed at create time; src and dst take the layout oneDNN prefers for the shape when
// octet has it (nhwc with brgconv on AVX-512, nChw8c with the AVX2 kernels), and the planner
// reorders around it.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"
#include "runtime/dnnl/dnnl_window.hpp"

namespace octet::rt::onednn {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

struct ConvSetup {
  Window window;
  int64_t groups = 1;
  bool has_bias = false, has_sum = false;
  Activation activation;
  dnnl::convolution_forward::primitive_desc pd;
  Layout src_layout = Layout::kPlain, dst_layout = Layout::kPlain;
};

dnnl::memory::desc weights_md(const TensorDesc& w, int64_t groups, tag t) {
  dnnl::memory::dims dims = dims_of(w.shape);
  if (groups > 1) {
    dims[0] /= groups;
    dims.insert(dims.begin(), groups);
  }
  if (t == tag::undef) t = tag_of(Layout::kPlain, dims.size());
  return dnnl::memory::desc(dims, dt::f32, t);
}

// The first primitive that is not oneDNN's slow reference and whose layouts octet has:
// oneDNN's own choice first, then each octet layout forced on src and dst.
std::string choose_pd(const KernelContext& ctx, ConvSetup& s) {
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& y = ctx.outputs[0];
  dnnl::post_ops ops;
  if (s.has_sum) ops.append_sum(1.0f);
  if (std::string why = append_activation(ops, s.activation.kind, s.activation.alpha, s.activation.beta); !why.empty())
    return why;
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_post_ops(ops);
  const dnnl::memory::desc wei = weights_md(ctx.inputs[1], s.groups, tag::any);
  const dnnl::memory::desc bias = s.has_bias ? dnnl::memory::desc({y.shape[1]}, dt::f32, tag::any) : dnnl::memory::desc();
  std::string tried;
  // Options: a forced layout (OCTET_DNNL_LAYOUT), oneDNN's choice (nullopt), then each layout.
  std::vector<std::optional<Layout>> options = {std::nullopt, Layout::kNhwc, Layout::kNChw8c, Layout::kPlain};
  if (const auto forced = forced_layout()) options.insert(options.begin(), *forced);
  for (const std::optional<Layout>& option : options) {
    dnnl::memory::desc src, dst;
    if (option) {
      src = md_of(x.shape, DType::kFloat32, *option);
      dst = md_of(y.shape, DType::kFloat32, *option);
    } else {
      src = dnnl::memory::desc(dims_of(x.shape), dt::f32, tag::any);
      dst = dnnl::memory::desc(dims_of(y.shape), dt::f32, tag::any);
    }
    try {
      dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                        wei, bias, dst, s.window.strides, s.window.dilations, s.window.pad_l,
                                        s.window.pad_r);
      dnnl::convolution_forward::primitive_desc pd(d, attr, engine());
      const auto src_layout = layout_of(pd.src_desc(), x.shape);
      const auto dst_layout = layout_of(pd.dst_desc(), y.shape);
      if (is_reference_impl(pd) || !src_layout || !dst_layout) {
        tried += cat(tried.empty() ? "" : ", ", impl_of(pd));
        continue;
      }
      s.pd = pd;
      s.src_layout = *src_layout;
      s.dst_layout = *dst_layout;
      return "";
    } catch (const dnnl::error&) {
    }
  }
  return cat("oneDNN offers only reference or unmappable implementations", tried.empty() ? "" : " (", tried,
             tried.empty() ? "" : ")");
}

std::string setup(const KernelContext& ctx, ConvSetup& s) {
  const bool fused = ctx.node->op == ir::OpKind::FusedConv;
  if (ctx.inputs.size() < 2 || !ctx.inputs[0].present() || !ctx.inputs[1].present()) return "needs X and W";
  if (ctx.inputs.size() > (fused ? 4u : 3u)) return "too many inputs";
  for (const TensorDesc& t : ctx.inputs)
    if (t.present() && t.dtype != DType::kFloat32) return "not float32";
  if (ctx.outputs.empty() || ctx.outputs[0].dtype != DType::kFloat32) return "output not float32";
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& w = ctx.inputs[1];
  const TensorDesc& y = ctx.outputs[0];
  if (x.shape.size() < 3 || x.shape.size() > 5 || w.shape.size() != x.shape.size()) return "needs rank 3 to 5";
  if (!ctx.constants[1]) return "W is not a constant";
  s.has_bias = ctx.inputs.size() > 2 && ctx.inputs[2].present();
  if (s.has_bias && !ctx.constants[2]) return "B is not a constant";
  if (s.has_bias && ctx.inputs[2].numel() != y.shape[1]) return "B does not have one value per output channel";
  s.has_sum = fused && ctx.inputs.size() > 3 && ctx.inputs[3].present();
  if (s.has_sum && ctx.inputs[3].shape != y.shape) return "the residual's shape differs from the output's";
  s.groups = ctx.node->attr_int("group", 1);
  if (s.groups < 1 || x.shape[1] % s.groups || w.shape[0] % s.groups || w.shape[1] * s.groups != x.shape[1])
    return "group does not divide the channels";
  if (fused) {
    s.activation = activation_of(*ctx.node);
    if (std::string why = activation_why_not(s.activation.kind); !why.empty()) return why;
  }
  const std::vector<int64_t> kernel(w.shape.begin() + 2, w.shape.end());
  if (std::string why = forward_window(*ctx.node, x.shape, y.shape, kernel, s.window); !why.empty()) return why;
  if (ctx.node->attr_ints("kernel_shape", kernel) != kernel) return "kernel_shape differs from W's";
  return choose_pd(ctx, s);
}

class ConvKernel final : public DnnlKernel {
 public:
  ConvKernel(KernelContext& ctx, ConvSetup& s) {
    ctx.inputs[0].layout = s.src_layout;
    ctx.outputs[0].layout = s.dst_layout;
    const auto& pd = s.pd;
    dnnl::memory wei = pack_constant(ctx.constants[1]->bytes.data(), weights_md(ctx.inputs[1], s.groups, tag::undef),
                                     pd.weights_desc());
    std::vector<std::pair<int, dnnl::memory>> args = {
        {DNNL_ARG_SRC, src_memory(0, pd.src_desc())},
        {DNNL_ARG_WEIGHTS, wei},
        {DNNL_ARG_DST, dst_memory(0, pd.dst_desc())},
    };
    if (s.has_bias) {
      const dnnl::memory::desc user({ctx.outputs[0].shape[1]}, dt::f32, tag::a);
      args.emplace_back(DNNL_ARG_BIAS, pack_constant(ctx.constants[2]->bytes.data(), user, pd.bias_desc()));
    }
    if (s.has_sum) {
      // The sum post-op accumulates into dst, so dst starts as the residual (in dst's layout).
      ctx.inputs[3].layout = s.dst_layout;
      copy_input_to_output(3, 0, ctx.outputs[0].bytes());
      ctx.output0_may_alias = 3;
    }
    add_call(dnnl::convolution_forward(pd), pd, std::move(args));
  }
};

std::string why_not(const KernelContext& ctx) {
  ConvSetup s;
  try {
    return setup(ctx, s);
  } catch (const std::exception& e) {
    return cat("oneDNN refused it: ", e.what());
  }
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  ConvSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_conv cannot run it: ", why);
  return std::make_unique<ConvKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> conv_entries() {
  return {{"dnnl_conv", ir::OpKind::Conv, why_not, create}, {"dnnl_conv", ir::OpKind::FusedConv, why_not, create}};
}

}  // namespace octet::rt::onednn
