// LayerNormalization over the dims from `axis` on (float32), with the optional Mean and
// InvStdDev outputs. One row per normalised slice, mean and variance in two passes over the
// row while it sits in cache, rows spread over threads: the transformer hot path.
#include <cmath>

#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class LayerNormKernel final : public Kernel {
 public:
  explicit LayerNormKernel(const KernelContext& ctx)
      : eps_(ctx.node->attr_float("epsilon", 1e-5f)), has_bias_(input_present(ctx, 2)),
        has_mean_(ctx.outputs.size() > 1 && ctx.outputs[1].present()),
        has_inv_(ctx.outputs.size() > 2 && ctx.outputs[2].present()) {
    const Shape& s = ctx.inputs[0].shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    const int64_t axis = normalize_axis(ctx.node->attr_int("axis", -1), rank);
    for (int64_t d = 0; d < rank; ++d) (d < axis ? rows_ : len_) *= s[static_cast<size_t>(d)];
    scalar_scale_ = ctx.inputs[1].numel() == 1;
    scalar_bias_ = has_bias_ && ctx.inputs[2].numel() == 1;
  }

  void execute(const ExecArgs& args) override {
    const float* x = static_cast<const float*>(args.src[0]);
    const float* scale = static_cast<const float*>(args.src[1]);
    const float* bias = has_bias_ ? static_cast<const float*>(args.src[2]) : nullptr;
    float* y = static_cast<float*>(args.dst[0]);
    float* mean_out = has_mean_ ? static_cast<float*>(args.dst[1]) : nullptr;
    float* inv_out = has_inv_ ? static_cast<float*>(args.dst[2]) : nullptr;
    const int64_t len = len_, rows = rows_;
    const float eps = eps_;
    const bool ss = scalar_scale_, sb = scalar_bias_;
#pragma omp parallel for schedule(static) if (rows * len >= kParallelMin && rows > 1)
    for (int64_t r = 0; r < rows; ++r) {
      const float* xr = x + r * len;
      float* yr = y + r * len;
      float sum = 0;
#pragma omp simd reduction(+ : sum)
      for (int64_t i = 0; i < len; ++i) sum += xr[i];
      const float mean = sum / static_cast<float>(len);
      float sq = 0;
#pragma omp simd reduction(+ : sq)
      for (int64_t i = 0; i < len; ++i) sq += (xr[i] - mean) * (xr[i] - mean);
      const float inv = 1.0f / std::sqrt(sq / static_cast<float>(len) + eps);
      if (!ss && bias && !sb) {
#pragma omp simd
        for (int64_t i = 0; i < len; ++i) yr[i] = (xr[i] - mean) * inv * scale[i] + bias[i];
      } else {
        for (int64_t i = 0; i < len; ++i)
          yr[i] = (xr[i] - mean) * inv * scale[ss ? 0 : i] + (bias ? bias[sb ? 0 : i] : 0.0f);
      }
      if (mean_out) mean_out[r] = mean;
      if (inv_out) inv_out[r] = inv;
    }
  }

 private:
  float eps_;
  bool has_bias_, has_mean_, has_inv_;
  int64_t rows_ = 1, len_ = 1;
  bool scalar_scale_ = false, scalar_bias_ = false;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0) || !input_present(ctx, 1)) return "takes X and Scale";
  for (size_t i = 0; i < ctx.inputs.size(); ++i)
    if (input_present(ctx, i) && ctx.inputs[i].dtype != DType::kFloat32) return "float32 only";
  const Shape& s = ctx.inputs[0].shape;
  const int64_t rank = static_cast<int64_t>(s.size());
  const int64_t axis = ctx.node->attr_int("axis", -1);
  if (!axis_ok(axis, rank)) return cat("axis ", axis, " out of range");
  int64_t len = 1;
  for (int64_t d = normalize_axis(axis, rank); d < rank; ++d) len *= s[static_cast<size_t>(d)];
  for (size_t i = 1; i < 3; ++i)
    if (input_present(ctx, i) && ctx.inputs[i].numel() != len && ctx.inputs[i].numel() != 1)
      return "Scale and B must cover the normalised dims exactly (or be one value)";
  for (size_t o = 1; o < ctx.outputs.size(); ++o)
    if (ctx.outputs[o].present() && ctx.outputs[o].dtype != DType::kFloat32) return "Mean and InvStdDev must be float32";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<LayerNormKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> layer_norm_entries() {
  return {{"ref_layer_norm", ir::OpKind::LayerNormalization, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
