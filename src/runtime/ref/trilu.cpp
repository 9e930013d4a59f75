// Trilu: keep the upper (or lower) triangle of each trailing matrix, offset by k (input 1,
// read per run when it is not a constant), zero elsewhere; any dtype.
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class TriluKernel final : public Kernel {
 public:
  explicit TriluKernel(const KernelContext& ctx)
      : upper_(ctx.node->attr_int("upper", 1) != 0), elem_(dtype_size(ctx.inputs[0].dtype)),
        has_k_(input_present(ctx, 1)) {
    const Shape& s = ctx.inputs[0].shape;
    rows_ = s[s.size() - 2];
    cols_ = s[s.size() - 1];
    batch_ = rows_ != 0 && cols_ != 0 ? shape_numel(s) / (rows_ * cols_) : 0;
    if (has_k_) k_dtype_ = ctx.inputs[1].dtype;
  }
  void execute(const ExecArgs& args) override {
    const int64_t k = has_k_ ? static_cast<int64_t>(read_number(k_dtype_, args.src[1])) : 0;
    visit_size(elem_, [&](auto tag) {
      using T = decltype(tag);
      const T* x = static_cast<const T*>(args.src[0]);
      T* y = static_cast<T*>(args.dst[0]);
      for (int64_t b = 0; b < batch_; ++b)
        for (int64_t i = 0; i < rows_; ++i)
          for (int64_t j = 0; j < cols_; ++j) {
            const int64_t o = (b * rows_ + i) * cols_ + j;
            const bool keep = upper_ ? j - i >= k : j - i <= k;
            y[o] = keep ? x[o] : T(0);
          }
    });
  }

 private:
  bool upper_;
  size_t elem_;
  bool has_k_;
  DType k_dtype_ = DType::kInt64;
  int64_t rows_ = 0, cols_ = 0, batch_ = 0;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0) || ctx.inputs[0].shape.size() < 2) return "needs rank >= 2";
  if (input_present(ctx, 1) && ctx.inputs[1].dtype != DType::kInt64) return "k must be int64";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<TriluKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> trilu_entries() { return {{"ref_trilu", ir::OpKind::Trilu, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
