// Concat on oneDNN's concat, with the parts and the output in one layout: input 0's when
// oneDNN can place the parts in it (nChw8c needs every part but the last to fill whole channel
// blocks), else nhwc, else plain.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"

namespace octet::rt::onednn {
namespace {

struct ConcatSetup {
  int axis = 0;
  std::vector<Layout> src_layouts;
  Layout dst_layout = Layout::kPlain;
};

dnnl::concat::primitive_desc make_pd(const KernelContext& ctx, const ConcatSetup& s) {
  std::vector<dnnl::memory::desc> srcs;
  for (size_t i = 0; i < ctx.inputs.size(); ++i)
    srcs.push_back(md_of(ctx.inputs[i].shape, ctx.inputs[i].dtype, s.src_layouts[i]));
  const TensorDesc& y = ctx.outputs[0];
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::concat::primitive_desc(md_of(y.shape, y.dtype, s.dst_layout), s.axis, srcs, engine(), attr);
}

std::string choose(const KernelContext& ctx, ConcatSetup& s) {
  if (ctx.inputs.empty()) return "no inputs";
  const TensorDesc& y = ctx.outputs[0];
  const size_t rank = y.shape.size();
  if (rank == 0) return "scalar output";
  if (dt_of(y.dtype) == dnnl::memory::data_type::undef || y.dtype != DType::kFloat32) return "not float32";
  int64_t axis = ctx.node->attr_int("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(rank);
  if (axis < 0 || axis >= static_cast<int64_t>(rank)) return "axis out of range";
  s.axis = static_cast<int>(axis);
  for (const TensorDesc& t : ctx.inputs) {
    if (!t.present() || t.dtype != y.dtype || t.shape.size() != rank) return "inputs differ in dtype or rank";
    if (t.numel() == 0) return "an empty input";
  }
  // Candidate layouts for all parts and the output: input 0's, nhwc, plain.
  std::vector<Layout> candidates = {ctx.inputs[0].layout, Layout::kNhwc, Layout::kPlain};
  std::string last = "no layout fits";
  for (Layout l : candidates) {
    if (!layout_fits(l, rank)) continue;
    if (l == Layout::kNChw8c && s.axis == 1) {
      bool aligned = true;
      for (size_t i = 0; i + 1 < ctx.inputs.size(); ++i) aligned = aligned && ctx.inputs[i].shape[1] % 8 == 0;
      if (!aligned) continue;
    }
    s.dst_layout = l;
    // Every part in the output's layout: oneDNN's concat then copies blocks of memory.
    s.src_layouts.assign(ctx.inputs.size(), l);
    try {
      make_pd(ctx, s);
      return "";
    } catch (const dnnl::error& e) {
      last = cat("oneDNN refused it: ", e.what());
    }
  }
  return last;
}

class ConcatKernel final : public DnnlKernel {
 public:
  ConcatKernel(KernelContext& ctx, const ConcatSetup& s) {
    for (size_t i = 0; i < ctx.inputs.size(); ++i) ctx.inputs[i].layout = s.src_layouts[i];
    ctx.outputs[0].layout = s.dst_layout;
    const auto pd = make_pd(ctx, s);
    std::vector<std::pair<int, dnnl::memory>> args;
    for (size_t i = 0; i < ctx.inputs.size(); ++i)
      args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), src_memory(static_cast<int>(i), pd.src_desc(static_cast<int>(i))));
    args.emplace_back(DNNL_ARG_DST, dst_memory(0, pd.dst_desc()));
    add_call(dnnl::concat(pd), pd, std::move(args));
  }
};

std::string why_not(const KernelContext& ctx) {
  ConcatSetup s;
  return choose(ctx, s);
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  ConcatSetup s;
  if (std::string why = choose(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_concat cannot run it: ", why);
  return std::make_unique<ConcatKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> concat_entries() { return {{"dnnl_concat", ir::OpKind::Concat, why_not, create}}; }

}  // namespace octet::rt::onednn
