// Expand: NumPy broadcast of the input to the output shape (fixed at compile time, so the
// shape input is not read), any dtype.
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class ExpandKernel final : public Kernel {
 public:
  explicit ExpandKernel(const KernelContext& ctx)
      : plan_(make_broadcast(ctx.outputs[0].shape, {ctx.inputs[0].shape})), elem_(dtype_size(ctx.inputs[0].dtype)) {}
  void execute(const ExecArgs& args) override {
    visit_size(elem_, [&](auto tag) {
      using T = decltype(tag);
      const T* x = static_cast<const T*>(args.src[0]);
      T* y = static_cast<T*>(args.dst[0]);
      const int64_t s = plan_.strides[0][plan_.rank - 1], inner = plan_.inner;
      for_each_row(plan_, [&](int64_t r, const int64_t* off) {
        T* yr = y + r * inner;
        if (s == 1) std::memcpy(yr, x + off[0], static_cast<size_t>(inner) * sizeof(T));
        else std::fill(yr, yr + inner, x[off[0]]);
      });
    });
  }

 private:
  Broadcast plan_;
  size_t elem_;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0)) return "input 0 is missing";
  std::string why;
  const Shape out = broadcast_shapes({ctx.inputs[0].shape, ctx.outputs[0].shape}, &why);
  if (!why.empty()) return why;
  if (out != ctx.outputs[0].shape) return "input does not broadcast to the output shape";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<ExpandKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> expand_entries() { return {{"ref_expand", ir::OpKind::Expand, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
