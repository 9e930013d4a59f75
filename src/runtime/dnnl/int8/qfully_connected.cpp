// QFullyConnected on oneDNN's INT8 matmul: X viewed as [rows, K] (u8/s8), W [K, N] int8 packed
// at create time, bias in accumulator units, per-column output scales (mask 2), src and dst
// zero points, activation post-ops. X and Y are plain (their last dim is the contiguous one).
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"
#include "runtime/ref/q_attrs.hpp"
#include "runtime/ref/q_kernels.hpp"

namespace octet::rt::onednn::int8 {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

struct Setup {
  q::QuantAttrs attrs;
  q::Requant requant;
  int64_t rows = 0, k = 0, n = 0;
  bool has_bias = false;
  DType dtype_bias = DType::kInt32;
  dnnl::matmul::primitive_desc pd;
};

std::string setup(const KernelContext& ctx, Setup& s) {
  if (std::string why = ref::qfully_connected_why_not(ctx); !why.empty()) return why;
  s.attrs = q::read_quant_attrs(*ctx.node);
  const Shape& w = ctx.inputs[1].shape;
  s.k = w[0];
  s.n = w[1];
  s.rows = ctx.inputs[0].numel() / s.k;
  s.requant = q::Requant::make(s.attrs, s.n);
  s.has_bias = ctx.inputs.size() > 2 && ctx.inputs[2].present();
  if (s.has_bias) s.dtype_bias = ctx.inputs[2].dtype;

  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  const auto& scales = s.requant.scale_acc;
  bool uniform = true;
  for (float v : scales) uniform = uniform && v == scales[0];
  if (uniform) attr.set_output_scales(0, {scales[0]});
  else attr.set_output_scales(1 << 1, scales);
  if (s.attrs.zero_point_x != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {DNNL_RUNTIME_S32_VAL});
  if (s.requant.zero_point_y != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {DNNL_RUNTIME_S32_VAL});
  dnnl::post_ops ops;
  append_activation(ops, s.requant.activation);
  if (s.requant.scale_post != 1.0f) ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, s.requant.scale_post, 0.0f);
  attr.set_post_ops(ops);
  const dnnl::memory::desc src({s.rows, s.k}, dt_of(ctx.inputs[0].dtype), tag::ab);
  const dnnl::memory::desc wei({s.k, s.n}, dt::s8, tag::any);
  const dnnl::memory::desc dst({s.rows, s.n}, dt_of(ctx.outputs[0].dtype), tag::ab);
  const dnnl::memory::desc bias = s.has_bias ? dnnl::memory::desc({1, s.n}, dt_of(s.dtype_bias), tag::ab) : dnnl::memory::desc();
  dnnl::matmul::desc d(src, wei, bias, dst);
  s.pd = dnnl::matmul::primitive_desc(d, attr, engine());
  return reference_why_not(s.pd);
}

class QFullyConnectedKernel final : public DnnlKernel {
 public:
  QFullyConnectedKernel(KernelContext& ctx, Setup& s) {
    const auto& pd = s.pd;
    const dnnl::memory::desc user_w({s.k, s.n}, dt::s8, tag::ab);
    std::vector<std::pair<int, dnnl::memory>> args = {
        {DNNL_ARG_SRC, src_memory(0, pd.src_desc())},
        {DNNL_ARG_WEIGHTS, pack_constant(ctx.constants[1]->bytes.data(), user_w, pd.weights_desc())},
        {DNNL_ARG_DST, dst_memory(0, pd.dst_desc())},
    };
    if (s.has_bias) {
      const dnnl::memory::desc user({1, s.n}, dt_of(s.dtype_bias), tag::ab);
      args.emplace_back(DNNL_ARG_BIAS, pack_constant(ctx.constants[2]->bytes.data(), user, pd.bias_desc()));
    }
    if (s.attrs.zero_point_x != 0)
      args.emplace_back(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, zero_point_memory(s.attrs.zero_point_x));
    if (s.requant.zero_point_y != 0)
      args.emplace_back(DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST, zero_point_memory(s.requant.zero_point_y));
    add_call(dnnl::matmul(pd), pd, std::move(args));
  }
};

std::string why_not(const KernelContext& ctx) {
  Setup s;
  return why_not_guarded([&] { return setup(ctx, s); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  Setup s;
  if (std::string why = setup(ctx, s); !why.empty())
    fail(ctx.describe(), ": dnnl_qfully_connected cannot run it: ", why);
  // X in any layout is fine: the plan reorders it to plain (a blocked producer, e.g. a
  // QuantizeLinear after LayerNormalization, is no reason to fall back to the reference).
  q::plain_layouts(ctx);
  return std::make_unique<QFullyConnectedKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> qfully_connected_entries() {
  return {{"dnnl_qfully_connected", ir::OpKind::QFullyConnected, why_not, create}};
}

}  // namespace octet::rt::onednn::int8
