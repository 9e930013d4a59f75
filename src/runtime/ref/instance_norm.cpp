// InstanceNormalization (float32): per (n, c), normalise over the spatial dims, then scale
// and bias per channel.
#include <cmath>

#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class InstanceNormKernel final : public Kernel {
 public:
  explicit InstanceNormKernel(const KernelContext& ctx) : eps_(ctx.node->attr_float("epsilon", 1e-5f)) {
    const Shape& s = ctx.inputs[0].shape;
    c_ = s[1];
    rows_ = s[0] * s[1];
    for (size_t d = 2; d < s.size(); ++d) len_ *= s[d];
  }
  void execute(const ExecArgs& args) override {
    const float* x = static_cast<const float*>(args.src[0]);
    const float* scale = static_cast<const float*>(args.src[1]);
    const float* bias = static_cast<const float*>(args.src[2]);
    float* y = static_cast<float*>(args.dst[0]);
    const int64_t len = len_;
#pragma omp parallel for schedule(static) if (rows_ * len >= kParallelMin)
    for (int64_t r = 0; r < rows_; ++r) {
      const float* xr = x + r * len;
      float* yr = y + r * len;
      double sum = 0, sq = 0;
      for (int64_t i = 0; i < len; ++i) sum += xr[i];
      const double mean = sum / static_cast<double>(len);
      for (int64_t i = 0; i < len; ++i) sq += (xr[i] - mean) * (xr[i] - mean);
      const float inv = static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(len) + eps_));
      const float m = scale[r % c_] * inv, a = bias[r % c_] - static_cast<float>(mean) * m;
#pragma omp simd
      for (int64_t i = 0; i < len; ++i) yr[i] = xr[i] * m + a;
    }
  }

 private:
  float eps_;
  int64_t c_ = 1, rows_ = 1, len_ = 1;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (ctx.inputs.size() != 3) return "takes X, scale and B";
  for (size_t i = 0; i < 3; ++i)
    if (!input_present(ctx, i) || ctx.inputs[i].dtype != DType::kFloat32) return "float32 inputs only";
  const Shape& s = ctx.inputs[0].shape;
  if (s.size() < 3) return "needs rank >= 3";
  if (ctx.inputs[1].numel() != s[1] || ctx.inputs[2].numel() != s[1]) return "scale and B need one value per channel";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<InstanceNormKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> instance_norm_entries() {
  return {{"ref_instance_norm", ir::OpKind::InstanceNormalization, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
