// LayerNormalization (opset 17) on oneDNN's layer_normalization: X seen as 2-D [M, K] with K
// the product of the normalized dims (axis and after), Scale and the optional B bound as
// they come (constant or not). The optional Mean and InvStdDev outputs go to the reference.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"

namespace octet::rt::onednn {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

struct NormSetup {
  int64_t m = 0, k = 0;
  bool has_bias = false;
  float epsilon = 1e-5f;
};

std::string setup(const KernelContext& ctx, NormSetup& s) {
  if (ctx.inputs.size() < 2 || ctx.inputs.size() > 3 || !ctx.inputs[0].present() || !ctx.inputs[1].present())
    return "needs X, Scale and an optional B";
  for (const TensorDesc& t : ctx.inputs)
    if (t.present() && t.dtype != DType::kFloat32) return "not float32";
  for (size_t i = 1; i < ctx.outputs.size(); ++i)
    if (ctx.outputs[i].present()) return "Mean and InvStdDev outputs are not supported";
  const TensorDesc& x = ctx.inputs[0];
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (rank == 0 || x.numel() == 0) return "scalar or empty input";
  int64_t axis = ctx.node->attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return "axis out of range";
  s.k = 1;
  for (int64_t d = axis; d < rank; ++d) s.k *= x.shape[static_cast<size_t>(d)];
  s.m = x.numel() / s.k;
  if (ctx.inputs[1].numel() != s.k) return "Scale does not have the normalized dims' shape";
  s.has_bias = ctx.inputs.size() > 2 && ctx.inputs[2].present();
  if (s.has_bias && ctx.inputs[2].numel() != s.k) return "B does not have the normalized dims' shape";
  s.epsilon = ctx.node->attr_float("epsilon", 1e-5f);
  return "";
}

dnnl::layer_normalization_forward::primitive_desc make_pd(const NormSetup& s) {
  auto flags = dnnl::normalization_flags::use_scale;
  if (s.has_bias) flags |= dnnl::normalization_flags::use_shift;
  dnnl::layer_normalization_forward::desc d(dnnl::prop_kind::forward_inference,
                                            dnnl::memory::desc({s.m, s.k}, dt::f32, tag::ab), s.epsilon, flags);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::layer_normalization_forward::primitive_desc(d, attr, engine());
}

class LayerNormKernel final : public DnnlKernel {
 public:
  LayerNormKernel(KernelContext& ctx, const NormSetup& s) {
    for (TensorDesc& t : ctx.inputs) t.layout = Layout::kPlain;
    const auto pd = make_pd(s);
    const dnnl::memory::desc vec({s.k}, dt::f32, tag::a);
    std::vector<std::pair<int, dnnl::memory>> args = {{DNNL_ARG_SRC, src_memory(0, pd.src_desc())},
                                                      {DNNL_ARG_SCALE, src_memory(1, vec)},
                                                      {DNNL_ARG_DST, dst_memory(0, pd.dst_desc())}};
    if (s.has_bias) args.emplace_back(DNNL_ARG_SHIFT, src_memory(2, vec));
    add_call(dnnl::layer_normalization_forward(pd), pd, std::move(args));
  }
};

std::string why_not(const KernelContext& ctx) {
  NormSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) return why;
  return why_not_guarded([&] { return reference_why_not(make_pd(s)); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  NormSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_layer_norm cannot run it: ", why);
  return std::make_unique<LayerNormKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> layer_norm_entries() {
  return {{"dnnl_layer_norm", ir::OpKind::LayerNormalization, why_not, create}};
}

}  // namespace octet::rt::onednn
