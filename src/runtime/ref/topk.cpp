// TopK along an axis: K is the output's size there (fixed at compile time). `largest` and
// `sorted` as ONNX; ties keep the lower index first. Each row is sorted by partial_sort of
// indices in scratch memory.
#include <algorithm>
#include <numeric>

#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class TopKKernel final : public Kernel {
 public:
  explicit TopKKernel(const KernelContext& ctx)
      : dtype_(ctx.inputs[0].dtype), largest_(ctx.node->attr_int("largest", 1) != 0),
        has_indices_(ctx.outputs.size() > 1) {
    const Shape& s = ctx.inputs[0].shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    const int64_t axis = normalize_axis(ctx.node->attr_int("axis", -1), rank);
    for (int64_t d = 0; d < rank; ++d) {
      if (d < axis) outer_ *= s[static_cast<size_t>(d)];
      else if (d == axis) len_ = s[static_cast<size_t>(d)];
      else inner_ *= s[static_cast<size_t>(d)];
    }
    k_ = ctx.outputs[0].shape[static_cast<size_t>(axis)];
  }
  size_t scratch_bytes() const override { return static_cast<size_t>(len_) * sizeof(int64_t); }
  void execute(const ExecArgs& args) override {
    int64_t* order = static_cast<int64_t*>(args.scratch);
    visit_dtype(dtype_, [&](auto tag) {
      using T = decltype(tag);
      const T* x = static_cast<const T*>(args.src[0]);
      T* values = static_cast<T*>(args.dst[0]);
      int64_t* indices = has_indices_ ? static_cast<int64_t*>(args.dst[1]) : nullptr;
      for (int64_t o = 0; o < outer_; ++o)
        for (int64_t i = 0; i < inner_; ++i) {
          const T* row = x + o * len_ * inner_ + i;
          std::iota(order, order + len_, 0);
          auto before = [&](int64_t a, int64_t b) {
            const T va = row[a * inner_], vb = row[b * inner_];
            if (va != vb) return largest_ ? va > vb : va < vb;
            return a < b;
          };
          std::partial_sort(order, order + k_, order + len_, before);
          for (int64_t j = 0; j < k_; ++j) {
            const int64_t off = (o * k_ + j) * inner_ + i;
            if (values) values[off] = row[order[j] * inner_];
            if (indices) indices[off] = order[j];
          }
        }
    });
  }

 private:
  DType dtype_;
  bool largest_, has_indices_;
  int64_t outer_ = 1, len_ = 1, inner_ = 1, k_ = 0;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0) || !is_numeric_dtype(ctx.inputs[0].dtype)) return "input must be numeric";
  const int64_t rank = static_cast<int64_t>(ctx.inputs[0].shape.size());
  const int64_t axis = ctx.node->attr_int("axis", -1);
  if (!axis_ok(axis, rank)) return cat("axis ", axis, " out of range");
  if (!ctx.outputs[0].present() || ctx.outputs[0].shape.size() != static_cast<size_t>(rank))
    return "the values output must be used (its shape gives K)";
  if (ctx.outputs.size() > 1 && ctx.outputs[1].present() && ctx.outputs[1].dtype != DType::kInt64)
    return "indices must be int64";
  if (ctx.outputs[0].shape[static_cast<size_t>(normalize_axis(axis, rank))] >
      ctx.inputs[0].shape[static_cast<size_t>(normalize_axis(axis, rank))])
    return "K exceeds the axis";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<TopKKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> topk_entries() { return {{"ref_topk", ir::OpKind::TopK, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
