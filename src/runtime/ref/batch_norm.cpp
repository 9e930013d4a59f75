// BatchNormalization in inference mode (float32): Y = (X - mean) / sqrt(var + eps) * scale
// + B per channel, folded at create() into one multiply-add per element when the statistics
// are constants. Training mode (which updates the running statistics) is not supported.
#include <cmath>

#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class BatchNormKernel final : public Kernel {
 public:
  explicit BatchNormKernel(const KernelContext& ctx) : eps_(ctx.node->attr_float("epsilon", 1e-5f)) {
    const Shape& s = ctx.inputs[0].shape;
    n_ = s[0];
    c_ = s.size() > 1 ? s[1] : 1;
    for (size_t d = 2; d < s.size(); ++d) inner_ *= s[d];
    mul_.resize(static_cast<size_t>(c_));
    add_.resize(static_cast<size_t>(c_));
  }
  void execute(const ExecArgs& args) override {
    const float* scale = static_cast<const float*>(args.src[1]);
    const float* b = static_cast<const float*>(args.src[2]);
    const float* mean = static_cast<const float*>(args.src[3]);
    const float* var = static_cast<const float*>(args.src[4]);
    for (int64_t c = 0; c < c_; ++c) {
      const float m = scale[c] / std::sqrt(var[c] + eps_);
      mul_[static_cast<size_t>(c)] = m;
      add_[static_cast<size_t>(c)] = b[c] - mean[c] * m;
    }
    const float* x = static_cast<const float*>(args.src[0]);
    float* y = static_cast<float*>(args.dst[0]);
    const int64_t rows = n_ * c_, inner = inner_;
#pragma omp parallel for schedule(static) if (rows * inner >= kParallelMin)
    for (int64_t r = 0; r < rows; ++r) {
      const float m = mul_[static_cast<size_t>(r % c_)], a = add_[static_cast<size_t>(r % c_)];
      const float* xr = x + r * inner;
      float* yr = y + r * inner;
#pragma omp simd
      for (int64_t i = 0; i < inner; ++i) yr[i] = xr[i] * m + a;
    }
  }

 private:
  float eps_;
  int64_t n_ = 1, c_ = 1, inner_ = 1;
  std::vector<float> mul_, add_;  // sized at create(); refreshed per run (statistics may be inputs)
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (ctx.inputs.size() != 5) return "takes X, scale, B, mean and var";
  for (size_t i = 0; i < 5; ++i)
    if (!input_present(ctx, i) || ctx.inputs[i].dtype != DType::kFloat32) return "float32 inputs only";
  if (ctx.node->attr_int("training_mode", 0) != 0) return "training mode is not supported";
  for (size_t o = 1; o < ctx.outputs.size(); ++o)
    if (ctx.outputs[o].present()) return "running statistics outputs (training) are not supported";
  const Shape& s = ctx.inputs[0].shape;
  const int64_t c = s.size() > 1 ? s[1] : 1;
  for (size_t i = 1; i < 5; ++i)
    if (ctx.inputs[i].numel() != c) return "statistics must have one value per channel";
  if (ctx.graph->opset < 9 && ctx.node->attr_int("spatial", 1) == 0) return "spatial=0 is not supported";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<BatchNormKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> batch_norm_entries() {
  return {{"ref_batch_norm", ir::OpKind::BatchNormalization, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
