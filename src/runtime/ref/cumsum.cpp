// CumSum along an axis (input 1, read per run), with `exclusive` and `reverse`; numeric
// dtypes.
#include <type_traits>

#include "core/int_math.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class CumSumKernel final : public Kernel {
 public:
  explicit CumSumKernel(const KernelContext& ctx)
      : dtype_(ctx.inputs[0].dtype), axis_dtype_(ctx.inputs[1].dtype), shape_(ctx.inputs[0].shape),
        exclusive_(ctx.node->attr_int("exclusive", 0) != 0), reverse_(ctx.node->attr_int("reverse", 0) != 0),
        name_(ctx.describe()) {}
  void execute(const ExecArgs& args) override {
    const int64_t rank = static_cast<int64_t>(shape_.size());
    const int64_t axis_in = static_cast<int64_t>(read_number(axis_dtype_, args.src[1]));
    if (!axis_ok(axis_in, rank)) fail(name_, ": axis ", axis_in, " out of range");
    const int64_t axis = normalize_axis(axis_in, rank);
    int64_t outer = 1, len = shape_[static_cast<size_t>(axis)], inner = 1;
    for (int64_t d = 0; d < rank; ++d) {
      if (d < axis) outer *= shape_[static_cast<size_t>(d)];
      else if (d > axis) inner *= shape_[static_cast<size_t>(d)];
    }
    visit_dtype(dtype_, [&](auto tag) {
      using T = decltype(tag);
      const T* x = static_cast<const T*>(args.src[0]);
      T* y = static_cast<T*>(args.dst[0]);
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) {
          T acc = 0;
          for (int64_t s = 0; s < len; ++s) {
            const int64_t k = reverse_ ? len - 1 - s : s;
            const int64_t off = (o * len + k) * inner + i;
            // Integer sums wrap past the type's end (core/int_math.hpp) instead of overflowing.
            if (exclusive_) { y[off] = acc; acc = wrap_add(acc, x[off]); }
            else { acc = wrap_add(acc, x[off]); y[off] = acc; }
          }
        }
    });
  }

 private:
  DType dtype_, axis_dtype_;
  Shape shape_;
  bool exclusive_, reverse_;
  std::string name_;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0) || !is_numeric_dtype(ctx.inputs[0].dtype)) return "input must be numeric";
  if (!input_present(ctx, 1) || (ctx.inputs[1].dtype != DType::kInt64 && ctx.inputs[1].dtype != DType::kInt32))
    return "axis must be int32 or int64";
  if (ctx.inputs[0].shape.empty()) return "needs rank >= 1";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<CumSumKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> cumsum_entries() { return {{"ref_cumsum", ir::OpKind::CumSum, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
