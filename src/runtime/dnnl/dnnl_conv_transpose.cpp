// ConvTranspose on oneDNN's deconvolution: groups, strides, dilations, pads, auto_pad,
// output_padding and output_shape (begin pads as ONNX's formula gives them, the rest at the
// end, as the reference kernel does), bias. Weights are packed at create time; src and dst
// take the layout oneDNN prefers when octet has it.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"

namespace octet::rt::onednn {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

struct DeconvSetup {
  dnnl::memory::dims strides, dilations, pad_l, pad_r;
  int64_t groups = 1;
  bool has_bias = false;
  dnnl::deconvolution_forward::primitive_desc pd;
  Layout src_layout = Layout::kPlain, dst_layout = Layout::kPlain;
};

// ONNX W is [C_in, C_out / group, k...]; oneDNN's deconvolution weights are (g, oc, ic, k...).
dnnl::memory::desc weights_md(const TensorDesc& w, int64_t groups, bool user) {
  const size_t nd = w.shape.size() - 2;
  dnnl::memory::dims dims = {groups, w.shape[1], w.shape[0] / groups};
  dims.insert(dims.end(), w.shape.begin() + 2, w.shape.end());
  if (!user) return dnnl::memory::desc(dims, dt::f32, tag::any);
  // The user layout (g, ic, oc, k...) as strides over those dims.
  dnnl::memory::dims strides(dims.size());
  int64_t k = 1;
  for (size_t d = 0; d < nd; ++d) k *= w.shape[2 + d];
  for (size_t d = nd; d-- > 0;) strides[3 + d] = d + 1 < nd ? strides[4 + d] * w.shape[3 + d] : 1;
  strides[1] = k;                            // oc
  strides[2] = w.shape[1] * k;               // ic
  strides[0] = strides[2] * (w.shape[0] / groups);  // g
  return dnnl::memory::desc(dims, dt::f32, strides);
}

std::string geometry(const KernelContext& ctx, DeconvSetup& s) {
  const ir::Node& node = *ctx.node;
  const Shape& x = ctx.inputs[0].shape;
  const Shape& y = ctx.outputs[0].shape;
  const Shape& w = ctx.inputs[1].shape;
  const size_t nd = x.size() - 2;
  const auto kernel = node.attr_ints("kernel_shape", std::vector<int64_t>(w.begin() + 2, w.end()));
  const auto strides = node.attr_ints("strides", std::vector<int64_t>(nd, 1));
  const auto dilations = node.attr_ints("dilations", std::vector<int64_t>(nd, 1));
  const auto pads = node.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
  const auto out_pad = node.attr_ints("output_padding", std::vector<int64_t>(nd, 0));
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  if (kernel.size() != nd || strides.size() != nd || dilations.size() != nd || pads.size() != 2 * nd ||
      out_pad.size() != nd)
    return "kernel_shape, strides, dilations, pads or output_padding do not match the spatial rank";
  if (std::vector<int64_t>(w.begin() + 2, w.end()) != kernel) return "kernel_shape differs from W's";
  const bool explicit_shape = node.has_attr("output_shape");
  for (size_t d = 0; d < nd; ++d) {
    if (strides[d] <= 0 || dilations[d] <= 0) return "strides and dilations must be positive";
    const int64_t span = (kernel[d] - 1) * dilations[d] + 1;
    int64_t begin = 0, end = 0;
    if (!explicit_shape && (auto_pad == "NOTSET" || auto_pad == "VALID")) {
      begin = auto_pad == "VALID" ? 0 : pads[d];
      end = auto_pad == "VALID" ? 0 : pads[nd + d];
    } else {
      const int64_t total = strides[d] * (x[2 + d] - 1) + out_pad[d] + span - y[2 + d];
      begin = total < 0 ? 0 : auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      end = total - begin;
    }
    // oneDNN: out = (in - 1) * stride + span - l - r; output_padding shrinks the end pad.
    const int64_t r = end - out_pad[d];
    if (strides[d] * (x[2 + d] - 1) + span - begin - r != y[2 + d]) return "output shape does not fit the window";
    if (begin < 0 || r < 0) return "output padding past the end pad (negative padding)";
    s.strides.push_back(strides[d]);
    s.dilations.push_back(dilations[d] - 1);
    s.pad_l.push_back(begin);
    s.pad_r.push_back(r);
  }
  return "";
}

std::string setup(const KernelContext& ctx, DeconvSetup& s) {
  if (ctx.inputs.size() < 2 || ctx.inputs.size() > 3 || !ctx.inputs[0].present() || !ctx.inputs[1].present())
    return "needs X, W and an optional B";
  for (const TensorDesc& t : ctx.inputs)
    if (t.present() && t.dtype != DType::kFloat32) return "not float32";
  if (ctx.outputs[0].dtype != DType::kFloat32) return "output not float32";
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& w = ctx.inputs[1];
  const TensorDesc& y = ctx.outputs[0];
  if (x.shape.size() < 3 || x.shape.size() > 5 || w.shape.size() != x.shape.size()) return "needs rank 3 to 5";
  if (!ctx.constants[1]) return "W is not a constant";
  s.has_bias = ctx.inputs.size() > 2 && ctx.inputs[2].present();
  if (s.has_bias && (!ctx.constants[2] || ctx.inputs[2].numel() != y.shape[1])) return "B is not a constant of C_out values";
  s.groups = ctx.node->attr_int("group", 1);
  if (s.groups < 1 || x.shape[1] % s.groups || w.shape[0] != x.shape[1] || w.shape[1] * s.groups != y.shape[1])
    return "group does not divide the channels";
  if (x.numel() == 0 || y.numel() == 0) return "empty tensor";
  if (std::string why = geometry(ctx, s); !why.empty()) return why;
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const dnnl::memory::desc wei = weights_md(w, s.groups, false);
  const dnnl::memory::desc bias = s.has_bias ? dnnl::memory::desc({y.shape[1]}, dt::f32, tag::any) : dnnl::memory::desc();
  std::vector<std::optional<Layout>> options = {std::nullopt, Layout::kNhwc, Layout::kNChw8c, Layout::kPlain};
  if (const auto forced = forced_layout()) options.insert(options.begin(), *forced);
  std::string tried;
  for (const std::optional<Layout>& option : options) {
    const dnnl::memory::desc src = option ? md_of(x.shape, DType::kFloat32, *option)
                                          : dnnl::memory::desc(dims_of(x.shape), dt::f32, tag::any);
    const dnnl::memory::desc dst = option ? md_of(y.shape, DType::kFloat32, *option)
                                          : dnnl::memory::desc(dims_of(y.shape), dt::f32, tag::any);
    try {
      dnnl::deconvolution_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::deconvolution_direct,
                                          src, wei, bias, dst, s.strides, s.dilations, s.pad_l, s.pad_r);
      dnnl::deconvolution_forward::primitive_desc pd(d, attr, engine());
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

class DeconvKernel final : public DnnlKernel {
 public:
  DeconvKernel(KernelContext& ctx, const DeconvSetup& s) {
    ctx.inputs[0].layout = s.src_layout;
    ctx.outputs[0].layout = s.dst_layout;
    const auto& pd = s.pd;
    std::vector<std::pair<int, dnnl::memory>> args = {
        {DNNL_ARG_SRC, src_memory(0, pd.src_desc())},
        {DNNL_ARG_WEIGHTS,
         pack_constant(ctx.constants[1]->bytes.data(), weights_md(ctx.inputs[1], s.groups, true), pd.weights_desc())},
        {DNNL_ARG_DST, dst_memory(0, pd.dst_desc())}};
    if (s.has_bias) {
      const dnnl::memory::desc user({ctx.outputs[0].shape[1]}, dt::f32, tag::a);
      args.emplace_back(DNNL_ARG_BIAS, pack_constant(ctx.constants[2]->bytes.data(), user, pd.bias_desc()));
    }
    add_call(dnnl::deconvolution_forward(pd), pd, std::move(args));
  }
};

std::string why_not(const KernelContext& ctx) {
  DeconvSetup s;
  return why_not_guarded([&] { return setup(ctx, s); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  DeconvSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_conv_transpose cannot run it: ", why);
  return std::make_unique<DeconvKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> conv_transpose_entries() {
  return {{"dnnl_conv_transpose", ir::OpKind::ConvTranspose, why_not, create}};
}

}  // namespace octet::rt::onednn
