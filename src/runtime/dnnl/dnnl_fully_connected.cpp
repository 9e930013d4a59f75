// FullyConnected (ops.def: activation(X @ W + B), X flattened to [M, K]) and Gemm with constant
// B and C, on oneDNN's matmul: the weights are packed once (Gemm's transB and alpha folded in),
// the activation fused. Gemm's beta * C is computed once: a bias row when it broadcasts along M
// (oneDNN's jit matmul takes only that bias shape), else a full [M, N] binary-add post-op.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"

namespace octet::rt::onednn {
namespace {

using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;
using ir::OpKind;

struct LinearSetup {
  int64_t m = 0, k = 0, n = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1.0f, beta = 1.0f;
  bool has_bias = false;
  bool bias_is_row = true;  // [1, N] bias, else a full [M, N] addend (post-op)
  Shape bias_shape;         // C at rank 2
  ir::FusedActivation activation;
};

std::string setup(const KernelContext& ctx, LinearSetup& s) {
  const bool gemm = ctx.node->op == OpKind::Gemm;
  if (ctx.inputs.size() < 2 || ctx.inputs.size() > 3 || !ctx.inputs[0].present() || !ctx.inputs[1].present())
    return "needs X, W and an optional bias";
  for (const TensorDesc& t : ctx.inputs)
    if (t.present() && t.dtype != DType::kFloat32) return "not float32";
  if (ctx.outputs[0].dtype != DType::kFloat32) return "output not float32";
  if (!ctx.constants[1]) return "weights are not a constant";
  s.has_bias = ctx.inputs.size() > 2 && ctx.inputs[2].present();
  if (s.has_bias && !ctx.constants[2]) return "bias is not a constant";
  const Shape& x = ctx.inputs[0].shape;
  const Shape& w = ctx.inputs[1].shape;
  if (w.size() != 2) return "weights of rank other than 2";
  if (gemm) {
    if (x.size() != 2) return "Gemm's A must have rank 2";
    s.trans_a = ctx.node->attr_int("transA", 0) != 0;
    s.trans_b = ctx.node->attr_int("transB", 0) != 0;
    s.alpha = ctx.node->attr_float("alpha", 1.0f);
    s.beta = ctx.node->attr_float("beta", 1.0f);
    s.m = s.trans_a ? x[1] : x[0];
    s.k = s.trans_a ? x[0] : x[1];
  } else {
    if (x.size() < 2) return "X must have rank 2 or more";
    s.k = x.back();
    s.m = x.empty() ? 0 : shape_numel(x) / std::max<int64_t>(1, s.k);
    if (std::string why = read_activation(*ctx.node, s.activation); !why.empty()) return why;
  }
  s.n = s.trans_b ? w[0] : w[1];
  if ((s.trans_b ? w[1] : w[0]) != s.k) return "K of X and W differ";
  if (s.m == 0 || s.k == 0 || s.n == 0) return "empty tensor";
  if (s.has_bias) {
    const Shape& c = ctx.inputs[2].shape;
    if (c.size() > 2) return "bias of rank above 2";
    s.bias_shape = Shape(2 - c.size(), 1);
    s.bias_shape.insert(s.bias_shape.end(), c.begin(), c.end());
    if ((s.bias_shape[0] != 1 && s.bias_shape[0] != s.m) || (s.bias_shape[1] != 1 && s.bias_shape[1] != s.n))
      return "bias does not broadcast to [M, N]";
    if (!gemm && (s.bias_shape[0] != 1 || s.bias_shape[1] != s.n)) return "B must have N values";
    s.bias_is_row = s.bias_shape[0] == 1;
  }
  return "";
}

dnnl::matmul::primitive_desc make_pd(const LinearSetup& s) {
  const dnnl::memory::desc a({s.m, s.k}, dt::f32, s.trans_a ? tag::ba : tag::ab);
  const dnnl::memory::desc w({s.k, s.n}, dt::f32, tag::any);
  const dnnl::memory::desc y({s.m, s.n}, dt::f32, tag::ab);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::post_ops ops;
  if (s.has_bias && !s.bias_is_row) ops.append_binary(dnnl::algorithm::binary_add, y);
  append_activation(ops, s.activation);
  attr.set_post_ops(ops);
  if (s.has_bias && s.bias_is_row) {
    const dnnl::memory::desc bias({1, s.n}, dt::f32, tag::ab);
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, w, bias, y), attr, engine());
  }
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, w, y), attr, engine());
}

// A copy of a constant scaled by `scale` (Gemm's alpha and beta), or the data itself.
std::vector<float> scaled(const Tensor& t, float scale) {
  std::vector<float> v(t.data<float>(), t.data<float>() + t.numel());
  for (float& x : v) x *= scale;
  return v;
}

class LinearKernel final : public DnnlKernel {
 public:
  LinearKernel(KernelContext& ctx, const LinearSetup& s) {
    ctx.inputs[0].layout = Layout::kPlain;
    const auto pd = make_pd(s);
    const std::vector<float> w = scaled(*ctx.constants[1], s.alpha);
    const dnnl::memory::desc w_user({s.k, s.n}, dt::f32, s.trans_b ? tag::ba : tag::ab);
    std::vector<std::pair<int, dnnl::memory>> args = {
        {DNNL_ARG_SRC, src_memory(0, pd.src_desc())},
        {DNNL_ARG_WEIGHTS, pack_constant(w.data(), w_user, pd.weights_desc())},
        {DNNL_ARG_DST, dst_memory(0, pd.dst_desc())}};
    if (s.has_bias) {
      // beta * C broadcast to the bias row [1, N] or the full addend [M, N].
      const Tensor& c = *ctx.constants[2];
      const int64_t rows = s.bias_is_row ? 1 : s.m;
      std::vector<float> bias(static_cast<size_t>(rows * s.n));
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < s.n; ++j)
          bias[static_cast<size_t>(i * s.n + j)] =
              s.beta * c.data<float>()[(s.bias_shape[0] == 1 ? 0 : i) * s.bias_shape[1] + (s.bias_shape[1] == 1 ? 0 : j)];
      const dnnl::memory::desc md({rows, s.n}, dt::f32, tag::ab);
      args.emplace_back(s.bias_is_row ? DNNL_ARG_BIAS : (DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1),
                        pack_constant(bias.data(), md, md));
    }
    add_call(dnnl::matmul(pd), pd, std::move(args));
  }
};

std::string why_not(const KernelContext& ctx) {
  LinearSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) return why;
  return why_not_guarded([&] { return reference_why_not(make_pd(s)); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  LinearSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_fully_connected cannot run it: ", why);
  return std::make_unique<LinearKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> fully_connected_entries() {
  return {{"dnnl_fully_connected", OpKind::FullyConnected, why_not, create},
          {"dnnl_fully_connected", OpKind::Gemm, why_not, create}};
}

}  // namespace octet::rt::onednn
