// ConvTranspose for 1-D to 3-D float32: per group, col = W^T x X with the blocked GEMM, then
// col2im scatters col into Y (initialised with the bias), parallel over output channels.
// Begin pads come from `pads`, or from output_shape / auto_pad as ONNX's formula gives them.
#include <algorithm>

#include "runtime/ref/gemm_core.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"
#include "runtime/ref/window.hpp"

namespace octet::rt::ref {
namespace {

std::vector<int64_t> kernel_dims(const KernelContext& ctx) {
  std::vector<int64_t> k = ctx.node->attr_ints("kernel_shape", {});
  if (k.empty()) k.assign(ctx.inputs[1].shape.begin() + 2, ctx.inputs[1].shape.end());
  return k;
}

// The window with in = X's spatial dims, out = Y's, and begin pads per ONNX ConvTranspose.
std::string make_window(const KernelContext& ctx, Window* w) {
  const ir::Node& node = *ctx.node;
  const Shape& x = ctx.inputs[0].shape;
  const Shape& y = ctx.outputs[0].shape;
  ir::Node plain = node;  // geometry without auto_pad; the pads are set below
  plain.attrs.erase("auto_pad");
  plain.attrs.erase("pads");
  if (auto why = Window::make(plain, x, y, kernel_dims(ctx), true, w); !why.empty()) return why;
  const size_t nd = x.size() - 2, off = 3 - nd;
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  const std::vector<int64_t> pads = node.attr_ints("pads", std::vector<int64_t>(2 * nd, 0));
  const std::vector<int64_t> out_pad = node.attr_ints("output_padding", std::vector<int64_t>(nd, 0));
  if (pads.size() != 2 * nd || out_pad.size() != nd) return "pads or output_padding have the wrong length";
  const bool explicit_shape = node.has_attr("output_shape");
  for (size_t d = 0; d < nd; ++d) {
    const size_t i = off + d;
    const int64_t span = (w->k[i] - 1) * w->dil[i] + 1;
    if (!explicit_shape && (auto_pad == "NOTSET" || auto_pad == "VALID")) {
      w->pad[i] = auto_pad == "VALID" ? 0 : pads[d];
      w->pad_end[i] = auto_pad == "VALID" ? 0 : pads[nd + d];
    } else {
      const int64_t total = w->stride[i] * (w->in[i] - 1) + out_pad[d] + span - w->out[i];
      // A requested output larger than the natural one grows at the end (ONNX's test data).
      w->pad[i] = total < 0 ? 0 : auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w->pad_end[i] = total - w->pad[i];
    }
    const int64_t expect = w->stride[i] * (w->in[i] - 1) + out_pad[d] + span - w->pad[i] - w->pad_end[i];
    if (expect != w->out[i]) return "output spatial dims do not follow from the window";
  }
  return "";
}

class ConvTransposeKernel final : public Kernel {
 public:
  explicit ConvTransposeKernel(const KernelContext& ctx) : has_bias_(input_present(ctx, 2)) {
    make_window(ctx, &w_);
    n_ = ctx.inputs[0].shape[0];
    c_ = ctx.inputs[0].shape[1];
    m_ = ctx.outputs[0].shape[1];
    group_ = ctx.node->attr_int("group", 1);
    cg_ = c_ / group_;
    mg_ = m_ / group_;
  }

  size_t scratch_bytes() const override { return static_cast<size_t>(mg_ * w_.k_size() * w_.in_size()) * sizeof(float); }

  void execute(const ExecArgs& args) override {
    const float* x = static_cast<const float*>(args.src[0]);
    const float* wei = static_cast<const float*>(args.src[1]);
    const float* bias = has_bias_ ? static_cast<const float*>(args.src[2]) : nullptr;
    float* y = static_cast<float*>(args.dst[0]);
    float* col = static_cast<float*>(args.scratch);
    const Window& w = w_;
    const int64_t kk = w.k_size(), s_in = w.in_size(), s_out = w.out_size();
    for (int64_t n = 0; n < n_; ++n)
      for (int64_t g = 0; g < group_; ++g) {
        // col[(m, k), i] = sum_c W[c, m, k] * X[c, i]
        sgemm(true, false, mg_ * kk, s_in, cg_, 1.0f, wei + g * cg_ * mg_ * kk, mg_ * kk,
              x + (n * c_ + g * cg_) * s_in, s_in, 0.0f, col, s_in);
#pragma omp parallel for schedule(static) if (mg_ * kk * s_in >= kParallelMin)
        for (int64_t m = 0; m < mg_; ++m) {
          float* ym = y + (n * m_ + g * mg_ + m) * s_out;
          std::fill(ym, ym + s_out, bias ? bias[g * mg_ + m] : 0.0f);
          for (int64_t kidx = 0; kidx < kk; ++kidx) {
            const int64_t kd = kidx / (w.k[1] * w.k[2]), kh = kidx / w.k[2] % w.k[1], kw = kidx % w.k[2];
            const float* c = col + (m * kk + kidx) * s_in;
            for (int64_t id = 0; id < w.in[0]; ++id) {
              const int64_t od = id * w.stride[0] - w.pad[0] + kd * w.dil[0];
              if (od < 0 || od >= w.out[0]) continue;
              for (int64_t ih = 0; ih < w.in[1]; ++ih) {
                const int64_t oh = ih * w.stride[1] - w.pad[1] + kh * w.dil[1];
                if (oh < 0 || oh >= w.out[1]) continue;
                const float* crow = c + (id * w.in[1] + ih) * w.in[2];
                float* yrow = ym + (od * w.out[1] + oh) * w.out[2];
                for (int64_t iw = 0; iw < w.in[2]; ++iw) {
                  const int64_t ow = iw * w.stride[2] - w.pad[2] + kw * w.dil[2];
                  if (ow >= 0 && ow < w.out[2]) yrow[ow] += crow[iw];
                }
              }
            }
          }
        }
      }
  }

 private:
  Window w_;
  bool has_bias_;
  int64_t n_ = 0, c_ = 0, m_ = 0, group_ = 1, cg_ = 0, mg_ = 0;
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
  if (group <= 0 || x[1] % group || wshape[0] != x[1]) return "W's first dim must be X's channels";
  if (ctx.outputs[0].shape.size() != x.size() || ctx.outputs[0].shape[1] != wshape[1] * group)
    return "output channels differ from W's";
  if (input_present(ctx, 2) && ctx.inputs[2].numel() != ctx.outputs[0].shape[1]) return "bias size differs";
  const std::vector<int64_t> k = kernel_dims(ctx);
  if (k.size() != x.size() - 2 || !std::equal(k.begin(), k.end(), wshape.begin() + 2)) return "kernel_shape differs from W's";
  Window w;
  return make_window(ctx, &w);
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<ConvTransposeKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> conv_transpose_entries() {
  return {{"ref_conv_transpose", ir::OpKind::ConvTranspose, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
