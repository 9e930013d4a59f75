// DepthToSpace (DCR and CRD modes) and SpaceToDepth on 4-D NCHW, any dtype: each output
// element's source computed directly, rows parallel over (n, c).
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

class DepthSpaceKernel final : public Kernel {
 public:
  explicit DepthSpaceKernel(const KernelContext& ctx)
      : to_space_(ctx.node->op == OpKind::DepthToSpace), crd_(ctx.node->attr_string("mode", "DCR") == "CRD"),
        b_(ctx.node->attr_int("blocksize", 1)), elem_(dtype_size(ctx.inputs[0].dtype)) {
    const Shape& s = ctx.inputs[0].shape;
    n_ = s[0]; c_ = s[1]; h_ = s[2]; w_ = s[3];
  }
  void execute(const ExecArgs& args) override {
    visit_size(elem_, [&](auto tag) {
      using T = decltype(tag);
      const T* x = static_cast<const T*>(args.src[0]);
      T* y = static_cast<T*>(args.dst[0]);
      const int64_t b = b_;
      if (to_space_) {
        const int64_t oc = c_ / (b * b), oh = h_ * b, ow = w_ * b;
#pragma omp parallel for collapse(2) schedule(static) if (n_ * c_ * h_ * w_ >= kParallelMin)
        for (int64_t n = 0; n < n_; ++n)
          for (int64_t c = 0; c < oc; ++c)
            for (int64_t h = 0; h < oh; ++h)
              for (int64_t w = 0; w < ow; ++w) {
                const int64_t bh = h % b, bw = w % b;
                const int64_t ic = crd_ ? c * b * b + bh * b + bw : (bh * b + bw) * oc + c;
                y[((n * oc + c) * oh + h) * ow + w] = x[((n * c_ + ic) * h_ + h / b) * w_ + w / b];
              }
      } else {
        const int64_t oh = h_ / b, ow = w_ / b, oc = c_ * b * b;
#pragma omp parallel for collapse(2) schedule(static) if (n_ * c_ * h_ * w_ >= kParallelMin)
        for (int64_t n = 0; n < n_; ++n)
          for (int64_t c = 0; c < oc; ++c)
            for (int64_t h = 0; h < oh; ++h)
              for (int64_t w = 0; w < ow; ++w) {
                // Output channel = (bh * b + bw) * C + ic, as DCR.
                const int64_t ic = c % c_, blk = c / c_, bh = blk / b, bw = blk % b;
                y[((n * oc + c) * oh + h) * ow + w] = x[((n * c_ + ic) * h_ + h * b + bh) * w_ + w * b + bw];
              }
      }
    });
  }

 private:
  bool to_space_, crd_;
  int64_t b_;
  size_t elem_;
  int64_t n_ = 0, c_ = 0, h_ = 0, w_ = 0;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0) || ctx.inputs[0].shape.size() != 4) return "needs a 4-D input";
  const int64_t b = ctx.node->attr_int("blocksize", 0);
  if (b <= 0) return "blocksize must be positive";
  const Shape& s = ctx.inputs[0].shape;
  if (ctx.node->op == OpKind::DepthToSpace) {
    const std::string mode = ctx.node->attr_string("mode", "DCR");
    if (mode != "DCR" && mode != "CRD") return cat("mode '", mode, "' is not defined");
    if (s[1] % (b * b)) return "channels are not a multiple of blocksize^2";
  } else if (s[2] % b || s[3] % b) {
    return "height and width must be multiples of blocksize";
  }
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<DepthSpaceKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> depth_space_entries() {
  return {{"ref_depth_space", OpKind::DepthToSpace, guarded<why_not>, create},
          {"ref_depth_space", OpKind::SpaceToDepth, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
