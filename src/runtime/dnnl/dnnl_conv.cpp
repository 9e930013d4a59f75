// Conv and FusedConv on oneDNN's convolution: groups, depthwise, dilations, pads, auto_pad,
// bias, and FusedConv's residual (a sum post-op) and activation (eltwise post-ops). Weights
// are packed at create time; src and dst take the layout oneDNN prefers for the shape when
// octet has it (nhwc with brgconv on AVX-512, nChw8c with the AVX2 kernels), and the planner
// reorders around it. Where oneDNN has Winograd (AVX-512), 3x3 stride-1 convs of 32 channels
// or more run it: about twice as fast as direct even with the reorders to and from its
// nChw16c layout, which happen inside the kernel through the scratch.
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
  ir::FusedActivation activation;
  dnnl::primitive_attr attr;  // scratchpad and post-ops
  dnnl::convolution_forward::primitive_desc pd;
  Layout src_layout = Layout::kPlain, dst_layout = Layout::kPlain;
  bool winograd = false;  // pd is Winograd on nChw16c, reordered from and to the layouts above
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
  append_activation(ops, s.activation);
  s.attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  s.attr.set_post_ops(ops);
  const dnnl::primitive_attr& attr = s.attr;
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

// Switches to Winograd where the rule says it pays (measured on AVX-512 with oneDNN 2.6: 3x3
// convs of 64-256 channels on 56x56 to 14x14 run 2x faster, 512 channels on 7x7 1.15x, 16
// channels not at all) and oneDNN has a jit implementation. A residual would need its own
// reorder into nChw16c first; ResNets' 3x3 convs have none, so those stay direct.
void choose_winograd(const KernelContext& ctx, ConvSetup& s) {
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& y = ctx.outputs[0];
  const Window& w = s.window;
  if (!winograd_allowed() || x.shape.size() != 4 || s.groups != 1 || s.has_sum) return;
  if (w.kernel != dnnl::memory::dims{3, 3} || w.strides != dnnl::memory::dims{1, 1} ||
      w.dilations != dnnl::memory::dims{0, 0})
    return;
  if (x.shape[1] < 32 || y.shape[1] < 32) return;
  try {
    const dnnl::memory::desc src(dims_of(x.shape), dt::f32, tag::nChw16c), dst(dims_of(y.shape), dt::f32, tag::nChw16c);
    const dnnl::memory::desc wei = weights_md(ctx.inputs[1], 1, tag::any);
    const dnnl::memory::desc bias = s.has_bias ? dnnl::memory::desc({y.shape[1]}, dt::f32, tag::any) : dnnl::memory::desc();
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_winograd, src, wei,
                                      bias, dst, w.strides, w.dilations, w.pad_l, w.pad_r);
    dnnl::convolution_forward::primitive_desc pd(d, s.attr, engine());
    if (is_reference_impl(pd)) return;
    s.pd = pd;
    s.winograd = true;
  } catch (const dnnl::error&) {
    // No Winograd on this CPU (oneDNN 2.6 has it for AVX-512 only): stay direct.
  }
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
    if (std::string why = read_activation(*ctx.node, s.activation); !why.empty()) return why;
  }
  const std::vector<int64_t> kernel(w.shape.begin() + 2, w.shape.end());
  if (std::string why = forward_window(*ctx.node, x.shape, y.shape, kernel, s.window); !why.empty()) return why;
  if (ctx.node->attr_ints("kernel_shape", kernel) != kernel) return "kernel_shape differs from W's";
  if (std::string why = choose_pd(ctx, s); !why.empty()) return why;
  choose_winograd(ctx, s);
  return "";
}

class ConvKernel final : public DnnlKernel {
 public:
  ConvKernel(KernelContext& ctx, ConvSetup& s) {
    ctx.inputs[0].layout = s.src_layout;
    ctx.outputs[0].layout = s.dst_layout;
    const auto& pd = s.pd;
    const dnnl::memory::desc src_md = md_of(ctx.inputs[0]), dst_md = md_of(ctx.outputs[0]);
    dnnl::memory wei = pack_constant(ctx.constants[1]->bytes.data(), weights_md(ctx.inputs[1], s.groups, tag::undef),
                                     pd.weights_desc());
    // Winograd runs on nChw16c copies of src and dst in the scratch; direct on the buffers.
    dnnl::memory src = s.winograd ? scratch_memory(pd.src_desc()) : src_memory(0, pd.src_desc());
    dnnl::memory dst = s.winograd ? scratch_memory(pd.dst_desc()) : dst_memory(0, pd.dst_desc());
    if (s.winograd) {
      dnnl::reorder::primitive_desc in(engine(), src_md, engine(), pd.src_desc(), base_attr());
      add_call(dnnl::reorder(in), in, {{DNNL_ARG_FROM, src_memory(0, src_md)}, {DNNL_ARG_TO, src}});
    }
    std::vector<std::pair<int, dnnl::memory>> args = {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, wei}, {DNNL_ARG_DST, dst}};
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
    if (s.winograd) {
      dnnl::reorder::primitive_desc out(engine(), pd.dst_desc(), engine(), dst_md, base_attr());
      add_call(dnnl::reorder(out), out, {{DNNL_ARG_FROM, dst}, {DNNL_ARG_TO, dst_memory(0, dst_md)}});
    }
  }
};

std::string why_not(const KernelContext& ctx) {
  ConvSetup s;
  return why_not_guarded([&] { return setup(ctx, s); });
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
