// Softmax and LogSoftmax on oneDNN's softmax_v2. From opset 13 the op normalizes along one
// axis, which oneDNN does in any layout the input arrives in; before 13 the input is seen as
// 2-D [prod(dims before axis), prod(the rest)], which needs plain.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"

namespace octet::rt::onednn {
namespace {

using ir::OpKind;

struct SoftmaxSetup {
  Shape shape;  // as oneDNN sees it
  int axis = 0;
  Layout layout = Layout::kPlain;
};

std::string setup(const KernelContext& ctx, SoftmaxSetup& s) {
  if (ctx.inputs.size() != 1 || !ctx.inputs[0].present()) return "needs one input";
  const TensorDesc& x = ctx.inputs[0];
  if (x.dtype != DType::kFloat32 || ctx.outputs[0].dtype != DType::kFloat32) return "not float32";
  if (x.shape.empty() || x.numel() == 0) return "scalar or empty input";
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const bool per_axis = ctx.graph->opset >= 13;
  int64_t axis = ctx.node->attr_int("axis", per_axis ? -1 : 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return "axis out of range";
  if (per_axis) {
    s.shape = x.shape;
    s.axis = static_cast<int>(axis);
    s.layout = layout_fits(x.layout, x.shape.size()) ? x.layout : Layout::kPlain;
    // nChw8c padding would take part in a softmax over channels.
    if (s.layout == Layout::kNChw8c && axis == 1 && x.shape[1] % 8 != 0) s.layout = Layout::kPlain;
  } else {
    int64_t outer = 1;
    for (int64_t d = 0; d < axis; ++d) outer *= x.shape[static_cast<size_t>(d)];
    s.shape = {outer, x.numel() / outer};
    s.axis = 1;
    s.layout = Layout::kPlain;
  }
  if (s.shape.size() > 6) return "rank above 6";
  return "";
}

dnnl::softmax_v2_forward::primitive_desc make_pd(const KernelContext& ctx, const SoftmaxSetup& s) {
  const dnnl::memory::desc md = md_of(s.shape, DType::kFloat32, s.layout);
  const auto alg = ctx.node->op == OpKind::LogSoftmax ? dnnl::algorithm::softmax_log : dnnl::algorithm::softmax_accurate;
  dnnl::softmax_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, md, md, s.axis);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::softmax_v2_forward::primitive_desc(d, attr, engine());
}

class SoftmaxKernel final : public DnnlKernel {
 public:
  SoftmaxKernel(KernelContext& ctx, const SoftmaxSetup& s) {
    ctx.inputs[0].layout = s.layout;
    ctx.outputs[0].layout = s.layout;
    const auto pd = make_pd(ctx, s);
    add_call(dnnl::softmax_v2_forward(pd), pd,
             {{DNNL_ARG_SRC, src_memory(0, pd.src_desc())}, {DNNL_ARG_DST, dst_memory(0, pd.dst_desc())}});
  }
};

std::string why_not(const KernelContext& ctx) {
  SoftmaxSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) return why;
  return why_not_guarded([&] { return reference_why_not(make_pd(ctx, s)); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  SoftmaxSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_softmax cannot run it: ", why);
  return std::make_unique<SoftmaxKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> softmax_entries() {
  return {{"dnnl_softmax", OpKind::Softmax, why_not, create}, {"dnnl_softmax", OpKind::LogSoftmax, why_not, create}};
}

}  // namespace octet::rt::onednn
