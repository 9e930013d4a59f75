// Clip: bounds from attributes before opset 11, from optional (possibly runtime) inputs
// since. Any numeric dtype; a missing bound is the dtype's lowest or highest value.
#include <limits>

#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

template <class T>
void clip(const void* src, void* dst, int64_t n, T lo, T hi) {
  const T* x = static_cast<const T*>(src);
  T* y = static_cast<T*>(dst);
  parallel_range(n, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
  });
}

class ClipKernel final : public Kernel {
 public:
  explicit ClipKernel(const KernelContext& ctx)
      : dtype_(ctx.inputs[0].dtype), n_(ctx.inputs[0].numel()), has_lo_(input_present(ctx, 1)),
        has_hi_(input_present(ctx, 2)) {
    if (ctx.graph->opset < 11) {
      attr_bounds_ = true;
      lo_ = ctx.node->attr_float("min", -std::numeric_limits<float>::max());
      hi_ = ctx.node->attr_float("max", std::numeric_limits<float>::max());
    }
  }
  void execute(const ExecArgs& args) override {
    visit_dtype(dtype_, [&](auto tag) {
      using T = decltype(tag);
      T lo = std::numeric_limits<T>::lowest(), hi = std::numeric_limits<T>::max();
      if (attr_bounds_) {
        lo = static_cast<T>(lo_);
        hi = static_cast<T>(hi_);
      } else {
        // Bounds are one-element tensors of the input's dtype, read per run (they may be inputs).
        if (has_lo_) lo = static_cast<const T*>(args.src[1])[0];
        if (has_hi_) hi = static_cast<const T*>(args.src[2])[0];
      }
      clip<T>(args.src[0], args.dst[0], n_, lo, hi);
    });
  }

 private:
  DType dtype_;
  int64_t n_;
  bool has_lo_, has_hi_;
  bool attr_bounds_ = false;
  double lo_ = 0, hi_ = 0;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (ctx.inputs.empty() || !ctx.inputs[0].present()) return "input 0 is missing";
  const DType d = ctx.inputs[0].dtype;
  if (!is_numeric_dtype(d)) return cat("dtype ", dtype_name(d), " not supported");
  for (size_t i = 1; i < ctx.inputs.size() && i < 3; ++i)
    if (ctx.inputs[i].present() && (ctx.inputs[i].dtype != d || ctx.inputs[i].numel() != 1))
      return cat("bound ", i, " must be one element of the input's dtype");
  if (ctx.graph->opset < 11 && ctx.inputs.size() > 1) return "before opset 11 Clip takes one input";
  if (ctx.graph->opset < 11 && !is_float_dtype(d)) return "before opset 11 Clip is float only";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<ClipKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> clip_entries() { return {{"ref_clip", ir::OpKind::Clip, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
