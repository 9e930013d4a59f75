// Conv and the internal FusedConv (Y = activation(conv(X, W) + B + Sum), ops.def) for 1-D,
// 2-D and 3-D float32 NC... tensors: im2col into scratch then the blocked GEMM per group
// (1x1 stride-1 unpadded convs read X directly), then bias, residual and activation per
// output channel.
#include "runtime/ref/activation.hpp"
#include "runtime/ref/gemm_core.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"
#include "runtime/ref/window.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

std::vector<int64_t> kernel_dims(const KernelContext& ctx) {
  std::vector<int64_t> k = ctx.node->attr_ints("kernel_shape", {});
  if (k.empty()) k.assign(ctx.inputs[1].shape.begin() + 2, ctx.inputs[1].shape.end());
  return k;
}

class ConvKernel final : public Kernel {
 public:
  explicit ConvKernel(const KernelContext& ctx)
      : has_bias_(input_present(ctx, 2)), has_sum_(ctx.node->op == OpKind::FusedConv && input_present(ctx, 3)) {
    Window::make(*ctx.node, ctx.inputs[0].shape, ctx.outputs[0].shape, kernel_dims(ctx), false, &w_);
    std::string why;
    if (ctx.node->op == OpKind::FusedConv) Activation::parse(*ctx.node, &act_, &why);
    n_ = ctx.inputs[0].shape[0];
    c_ = ctx.inputs[0].shape[1];
    m_ = ctx.outputs[0].shape[1];
    group_ = ctx.node->attr_int("group", 1);
    cg_ = c_ / group_;
    mg_ = m_ / group_;
    k_ = cg_ * w_.k_size();
    direct_ = w_.k_size() == 1;
    for (int d = 0; d < 3; ++d) direct_ = direct_ && w_.stride[d] == 1 && w_.pad[d] == 0 && w_.in[d] == w_.out[d];
  }

  size_t scratch_bytes() const override { return direct_ ? 0 : static_cast<size_t>(k_ * w_.out_size()) * sizeof(float); }

  void execute(const ExecArgs& args) override {
    const float* x = static_cast<const float*>(args.src[0]);
    const float* wei = static_cast<const float*>(args.src[1]);
    const float* bias = has_bias_ ? static_cast<const float*>(args.src[2]) : nullptr;
    const float* sum = has_sum_ ? static_cast<const float*>(args.src[3]) : nullptr;
    float* y = static_cast<float*>(args.dst[0]);
    float* col = static_cast<float*>(args.scratch);
    const int64_t s_in = w_.in_size(), s_out = w_.out_size();
    for (int64_t n = 0; n < n_; ++n)
      for (int64_t g = 0; g < group_; ++g) {
        const float* xg = x + (n * c_ + g * cg_) * s_in;
        if (!direct_) im2col(xg, col);
        float* yg = y + (n * m_ + g * mg_) * s_out;
        sgemm(false, false, mg_, s_out, k_, 1.0f, wei + g * mg_ * k_, k_, direct_ ? xg : col, s_out, 0.0f, yg, s_out);
      }
    // Bias, residual and activation, one output channel row at a time.
    const int64_t rows = n_ * m_;
#pragma omp parallel for schedule(static) if (rows * s_out >= kParallelMin)
    for (int64_t r = 0; r < rows; ++r) {
      float* yr = y + r * s_out;
      const float b = bias ? bias[r % m_] : 0.0f;
      if (sum) {
        const float* sr = sum + r * s_out;
#pragma omp simd
        for (int64_t i = 0; i < s_out; ++i) yr[i] += b + sr[i];
      } else if (bias) {
#pragma omp simd
        for (int64_t i = 0; i < s_out; ++i) yr[i] += b;
      }
      act_.apply(yr, s_out);
    }
  }

 private:
  // col[(c, kd, kh, kw), (od, oh, ow)] = x[c, od*s - p + kd*dil, ...] or 0 outside.
  void im2col(const float* x, float* col) const {
    const Window& w = w_;
    const int64_t kk = w.k_size(), s_out = w.out_size(), s_in = w.in_size();
    const int64_t rows = cg_ * kk;
#pragma omp parallel for schedule(static) if (rows * s_out >= kParallelMin)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t c = r / kk, kidx = r % kk;
      const int64_t kd = kidx / (w.k[1] * w.k[2]), kh = kidx / w.k[2] % w.k[1], kw = kidx % w.k[2];
      const float* xc = x + c * s_in;
      float* dst = col + r * s_out;
      for (int64_t od = 0; od < w.out[0]; ++od) {
        const int64_t id = od * w.stride[0] - w.pad[0] + kd * w.dil[0];
        for (int64_t oh = 0; oh < w.out[1]; ++oh) {
          const int64_t ih = oh * w.stride[1] - w.pad[1] + kh * w.dil[1];
          float* drow = dst + (od * w.out[1] + oh) * w.out[2];
          if (id < 0 || id >= w.in[0] || ih < 0 || ih >= w.in[1]) {
            std::fill(drow, drow + w.out[2], 0.0f);
            continue;
          }
          const float* xrow = xc + (id * w.in[1] + ih) * w.in[2];
          for (int64_t ow = 0; ow < w.out[2]; ++ow) {
            const int64_t iw = ow * w.stride[2] - w.pad[2] + kw * w.dil[2];
            drow[ow] = iw >= 0 && iw < w.in[2] ? xrow[iw] : 0.0f;
          }
        }
      }
    }
  }

  Window w_;
  Activation act_;
  bool has_bias_, has_sum_;
  int64_t n_ = 0, c_ = 0, m_ = 0, group_ = 1, cg_ = 0, mg_ = 0, k_ = 0;
  bool direct_ = false;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0) || !input_present(ctx, 1)) return "takes X and W";
  for (size_t i = 0; i < ctx.inputs.size(); ++i)
    if (input_present(ctx, i) && ctx.inputs[i].dtype != DType::kFloat32) return "float32 only";
  const Shape& x = ctx.inputs[0].shape;
  const Shape& wshape = ctx.inputs[1].shape;
  if (x.size() < 3 || x.size() > 5 || wshape.size() != x.size()) return "needs 3-D to 5-D X and W of the same rank";
  const int64_t group = ctx.node->attr_int("group", 1);
  if (group <= 0 || x[1] % group || wshape[0] % group || wshape[1] * group != x[1]) return "channels do not match the group";
  if (ctx.outputs[0].shape.size() != x.size() || ctx.outputs[0].shape[1] != wshape[0]) return "output channels differ from W's";
  const std::vector<int64_t> k = kernel_dims(ctx);
  if (k.size() != x.size() - 2 || !std::equal(k.begin(), k.end(), wshape.begin() + 2)) return "kernel_shape differs from W's";
  Window w;
  if (auto why = Window::make(*ctx.node, x, ctx.outputs[0].shape, k, false, &w); !why.empty()) return why;
  for (int d = 0; d < 3; ++d)
    if ((w.in[d] + w.pad[d] + w.pad_end[d] - ((w.k[d] - 1) * w.dil[d] + 1)) / w.stride[d] + 1 != w.out[d])
      return "output spatial dims do not follow from the window";
  if (input_present(ctx, 2) && ctx.inputs[2].numel() != wshape[0]) return "bias must have one value per output channel";
  if (ctx.node->op == OpKind::FusedConv) {
    std::string why;
    Activation act;
    if (!Activation::parse(*ctx.node, &act, &why)) return why;
    if (input_present(ctx, 3) && ctx.inputs[3].shape != ctx.outputs[0].shape) return "Sum must have Y's shape";
  } else if (ctx.inputs.size() > 3) {
    return "Conv takes at most three inputs";
  }
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<ConvKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> conv_entries() {
  return {{"ref_conv", OpKind::Conv, guarded<why_not>, create},
          {"ref_conv", OpKind::FusedConv, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
