// ArgMax and ArgMin along one axis (keepdims, select_last_index), int64 output. NaN is
// treated as larger than everything for ArgMax, as NumPy picks the first NaN.
#include <type_traits>

#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

class ArgKernel final : public Kernel {
 public:
  explicit ArgKernel(const KernelContext& ctx)
      : max_(ctx.node->op == OpKind::ArgMax), last_(ctx.node->attr_int("select_last_index", 0) != 0),
        dtype_(ctx.inputs[0].dtype) {
    const Shape& s = ctx.inputs[0].shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    const int64_t axis = normalize_axis(ctx.node->attr_int("axis", 0), rank);
    for (int64_t d = 0; d < rank; ++d) {
      if (d < axis) outer_ *= s[static_cast<size_t>(d)];
      else if (d == axis) len_ = s[static_cast<size_t>(d)];
      else inner_ *= s[static_cast<size_t>(d)];
    }
  }
  void execute(const ExecArgs& args) override {
    visit_dtype(dtype_, [&](auto tag) {
      using T = decltype(tag);
      const T* x = static_cast<const T*>(args.src[0]);
      int64_t* y = static_cast<int64_t*>(args.dst[0]);
      const int64_t rows = outer_ * inner_;
#pragma omp parallel for schedule(static) if (rows * len_ >= kParallelMin)
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t o = r / inner_, i = r % inner_;
        const T* p = x + o * len_ * inner_ + i;
        int64_t best = 0;
        T v = p[0];
        for (int64_t k = 1; k < len_; ++k) {
          const T c = p[k * inner_];
          const bool better = max_ ? (last_ ? c >= v : c > v) : (last_ ? c <= v : c < v);
          if (better) { v = c; best = k; }
        }
        y[r] = best;
      }
    });
  }

 private:
  bool max_, last_;
  DType dtype_;
  int64_t outer_ = 1, len_ = 1, inner_ = 1;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0) || !is_numeric_dtype(ctx.inputs[0].dtype)) return "input must be numeric";
  const int64_t rank = static_cast<int64_t>(ctx.inputs[0].shape.size());
  const int64_t axis = ctx.node->attr_int("axis", 0);
  if (!axis_ok(axis, rank)) return cat("axis ", axis, " out of range for rank ", rank);
  if (ctx.inputs[0].shape[static_cast<size_t>(normalize_axis(axis, rank))] == 0) return "empty axis";
  if (ctx.outputs[0].dtype != DType::kInt64) return "output must be int64";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<ArgKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> argminmax_entries() {
  return {{"ref_argminmax", OpKind::ArgMax, guarded<why_not>, create},
          {"ref_argminmax", OpKind::ArgMin, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
