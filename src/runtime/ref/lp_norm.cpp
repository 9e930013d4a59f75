// LpNormalization (p = 1 or 2) along one axis, float32.
#include <cmath>

#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class LpNormKernel final : public Kernel {
 public:
  explicit LpNormKernel(const KernelContext& ctx) : p_(ctx.node->attr_int("p", 2)) {
    const Shape& s = ctx.inputs[0].shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    const int64_t axis = normalize_axis(ctx.node->attr_int("axis", -1), rank);
    for (int64_t d = 0; d < rank; ++d) {
      if (d < axis) outer_ *= s[static_cast<size_t>(d)];
      else if (d == axis) len_ = s[static_cast<size_t>(d)];
      else inner_ *= s[static_cast<size_t>(d)];
    }
  }
  void execute(const ExecArgs& args) override {
    const float* x = static_cast<const float*>(args.src[0]);
    float* y = static_cast<float*>(args.dst[0]);
    for (int64_t o = 0; o < outer_; ++o)
      for (int64_t i = 0; i < inner_; ++i) {
        const int64_t base = o * len_ * inner_ + i;
        double norm = 0;
        for (int64_t k = 0; k < len_; ++k) {
          const double v = x[base + k * inner_];
          norm += p_ == 1 ? std::fabs(v) : v * v;
        }
        if (p_ == 2) norm = std::sqrt(norm);
        for (int64_t k = 0; k < len_; ++k)
          y[base + k * inner_] = norm == 0 ? 0.0f : static_cast<float>(x[base + k * inner_] / norm);
      }
  }

 private:
  int64_t p_;
  int64_t outer_ = 1, len_ = 1, inner_ = 1;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (auto why = require_dtype(ctx, 0, {DType::kFloat32}); !why.empty()) return why;
  const int64_t p = ctx.node->attr_int("p", 2);
  if (p != 1 && p != 2) return "p must be 1 or 2";
  const int64_t rank = static_cast<int64_t>(ctx.inputs[0].shape.size());
  if (!axis_ok(ctx.node->attr_int("axis", -1), rank)) return "axis out of range";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<LpNormKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> lp_norm_entries() {
  return {{"ref_lp_norm", ir::OpKind::LpNormalization, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
