// Where(cond, X, Y) with three-way broadcasting; moves elements by size so every dtype works.
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class WhereKernel final : public Kernel {
 public:
  explicit WhereKernel(const KernelContext& ctx)
      : plan_(make_broadcast(ctx.outputs[0].shape, {ctx.inputs[0].shape, ctx.inputs[1].shape, ctx.inputs[2].shape})),
        elem_(dtype_size(ctx.inputs[1].dtype)) {}
  void execute(const ExecArgs& args) override {
    visit_size(elem_, [&](auto tag) {
      using T = decltype(tag);
      const auto* c = static_cast<const uint8_t*>(args.src[0]);
      const T* x = static_cast<const T*>(args.src[1]);
      const T* y = static_cast<const T*>(args.src[2]);
      T* out = static_cast<T*>(args.dst[0]);
      const int64_t sc = plan_.strides[0][plan_.rank - 1], sx = plan_.strides[1][plan_.rank - 1],
                    sy = plan_.strides[2][plan_.rank - 1];
      for_each_row(plan_, [&](int64_t r, const int64_t* off) {
        T* o = out + r * plan_.inner;
        const uint8_t* cr = c + off[0];
        const T* xr = x + off[1];
        const T* yr = y + off[2];
        for (int64_t i = 0; i < plan_.inner; ++i) o[i] = cr[i * sc] ? xr[i * sx] : yr[i * sy];
      });
    });
  }

 private:
  Broadcast plan_;
  size_t elem_;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (ctx.inputs.size() != 3) return "takes three inputs";
  for (size_t i = 0; i < 3; ++i)
    if (!ctx.inputs[i].present()) return cat("input ", i, " is missing");
  if (ctx.inputs[0].dtype != DType::kBool) return "condition must be bool";
  if (ctx.inputs[1].dtype != ctx.inputs[2].dtype) return "X and Y differ in dtype";
  std::string why;
  const Shape out = broadcast_shapes({ctx.inputs[0].shape, ctx.inputs[1].shape, ctx.inputs[2].shape}, &why);
  if (!why.empty()) return why;
  if (out != ctx.outputs[0].shape) return "output shape is not the broadcast of the inputs";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<WhereKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> where_entries() { return {{"ref_where", ir::OpKind::Where, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
