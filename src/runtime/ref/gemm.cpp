// Gemm: Y = alpha * op(A) * op(B) + beta * C, C broadcast to [M, N]; float32.
#include "runtime/ref/gemm_core.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class GemmKernel final : public Kernel {
 public:
  explicit GemmKernel(const KernelContext& ctx)
      : ta_(ctx.node->attr_int("transA", 0) != 0), tb_(ctx.node->attr_int("transB", 0) != 0),
        alpha_(ctx.node->attr_float("alpha", 1.0f)), beta_(ctx.node->attr_float("beta", 1.0f)),
        has_c_(input_present(ctx, 2)) {
    const Shape& a = ctx.inputs[0].shape;
    const Shape& b = ctx.inputs[1].shape;
    m_ = ta_ ? a[1] : a[0];
    k_ = ta_ ? a[0] : a[1];
    n_ = tb_ ? b[0] : b[1];
    if (has_c_) c_plan_ = make_broadcast({m_, n_}, {ctx.inputs[2].shape});
  }
  void execute(const ExecArgs& args) override {
    float* y = static_cast<float*>(args.dst[0]);
    float beta = 0.0f;
    if (has_c_ && beta_ != 0.0f) {
      const float* c = static_cast<const float*>(args.src[2]);
      const int64_t s = c_plan_.strides[0][c_plan_.rank - 1], inner = c_plan_.inner;
      const float bt = beta_;
      for_each_row(c_plan_, [&](int64_t r, const int64_t* off) {
        float* yr = y + r * inner;
        for (int64_t i = 0; i < inner; ++i) yr[i] = bt * c[off[0] + i * s];
      });
      beta = 1.0f;
    }
    sgemm(ta_, tb_, m_, n_, k_, alpha_, static_cast<const float*>(args.src[0]), ta_ ? m_ : k_,
          static_cast<const float*>(args.src[1]), tb_ ? k_ : n_, beta, y, n_);
  }

 private:
  bool ta_, tb_;
  float alpha_, beta_;
  bool has_c_;
  int64_t m_ = 0, k_ = 0, n_ = 0;
  Broadcast c_plan_;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0) || !input_present(ctx, 1)) return "takes A and B";
  for (size_t i = 0; i < ctx.inputs.size(); ++i)
    if (input_present(ctx, i) && ctx.inputs[i].dtype != DType::kFloat32) return "float32 only";
  const Shape& a = ctx.inputs[0].shape;
  const Shape& b = ctx.inputs[1].shape;
  if (a.size() != 2 || b.size() != 2) return "A and B must be 2-D";
  const bool ta = ctx.node->attr_int("transA", 0) != 0, tb = ctx.node->attr_int("transB", 0) != 0;
  const int64_t m = ta ? a[1] : a[0], k = ta ? a[0] : a[1], kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
  if (k != kb) return "inner dims differ";
  if (ctx.outputs[0].shape != Shape{m, n}) return "output must be [M, N]";
  if (input_present(ctx, 2)) {
    std::string why;
    const Shape out = broadcast_shapes({ctx.inputs[2].shape, Shape{m, n}}, &why);
    if (!why.empty() || out != Shape{m, n}) return "C does not broadcast to [M, N]";
  }
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<GemmKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> gemm_entries() { return {{"ref_gemm", ir::OpKind::Gemm, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
