// Reference layout conversion between plain, NHWC and nChw8c for any element size.
#include <cstring>

#include "runtime/ref/layout_index.hpp"
#include "runtime/ref/ref_kernels.hpp"

namespace octet::rt::ref {
namespace {

class ReorderKernel final : public Kernel {
 public:
  ReorderKernel(const TensorDesc& src, const TensorDesc& dst) : src_(src), dst_(dst) {
    n_ = src.shape.empty() ? 1 : src.shape[0];
    c_ = src.shape.size() < 2 ? 1 : src.shape[1];
    s_ = 1;
    for (size_t d = 2; d < src.shape.size(); ++d) s_ *= src.shape[d];
    elem_ = dtype_size(src.dtype);
  }
  void execute(const ExecArgs& args) override {
    const auto* src = static_cast<const uint8_t*>(args.src[0]);
    auto* dst = static_cast<uint8_t*>(args.dst[0]);
    if (dst_.layout == Layout::kNChw8c) std::memset(dst, 0, dst_.bytes());  // zero channel padding
#pragma omp parallel for collapse(2)
    for (int64_t n = 0; n < n_; ++n)
      for (int64_t c = 0; c < c_; ++c)
        for (int64_t s = 0; s < s_; ++s)
          std::memcpy(dst + layout_offset(dst_.layout, c_, s_, n, c, s) * elem_,
                      src + layout_offset(src_.layout, c_, s_, n, c, s) * elem_, elem_);
  }

 private:
  TensorDesc src_, dst_;
  int64_t n_, c_, s_;
  size_t elem_;
};

std::string why_not(const KernelContext& ctx) {
  if (ctx.inputs[0].dtype != ctx.outputs[0].dtype) return "changes the dtype";
  if (ctx.inputs[0].shape.size() < 3 && (ctx.inputs[0].layout != Layout::kPlain || ctx.outputs[0].layout != Layout::kPlain))
    return "blocked and channels-last layouts need rank 3 or more";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  return std::make_unique<ReorderKernel>(ctx.inputs[0], ctx.outputs[0]);
}

}  // namespace

std::vector<KernelEntry> reorder_entries() { return {{"ref_reorder", ir::OpKind::Reorder, why_not, create}}; }

}  // namespace octet::rt::ref
