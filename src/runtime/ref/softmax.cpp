// Softmax, LogSoftmax and Hardmax. Before opset 13 the input is flattened to 2-D at `axis`
// (default 1) and normalised over the whole second part; since 13 along one axis (default
// -1). Rows along the last axis, the transformer case, run contiguous and vectorised.
#include <cmath>
#include <limits>

#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_math.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

// One softmax row of n elements spaced `stride` apart.
template <OpKind kOp>
inline void row(const float* x, float* y, int64_t n, int64_t stride) {
  float mx = -std::numeric_limits<float>::infinity();
  int64_t arg = 0;
  for (int64_t i = 0; i < n; ++i)
    if (x[i * stride] > mx) { mx = x[i * stride]; arg = i; }
  if constexpr (kOp == OpKind::Hardmax) {
    for (int64_t i = 0; i < n; ++i) y[i * stride] = i == arg ? 1.0f : 0.0f;
    return;
  }
  float sum = 0;
  if (stride == 1) {
    // exp(x - max) into y 8 lanes at a time (LogSoftmax overwrites it below), then the sum.
    const v8f m = splat(mx);
    map8(x, y, n, [&](v8f v) { return exp8(v - m); });
#pragma omp simd reduction(+ : sum)
    for (int64_t i = 0; i < n; ++i) sum += y[i];
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const float e = exp_f(x[i * stride] - mx);
      if constexpr (kOp == OpKind::Softmax) y[i * stride] = e;
      sum += e;
    }
  }
  if constexpr (kOp == OpKind::Softmax) {
    const float inv = 1.0f / sum;
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i * stride] *= inv;
  } else {
    const float shift = mx + std::log(sum);
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i * stride] = x[i * stride] - shift;
  }
}

class SoftmaxKernel final : public Kernel {
 public:
  explicit SoftmaxKernel(const KernelContext& ctx) : op_(ctx.node->op) {
    const Shape& s = ctx.inputs[0].shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    const bool legacy = ctx.graph->opset < 13;
    const int64_t axis = normalize_axis(ctx.node->attr_int("axis", legacy ? 1 : -1), rank);
    for (int64_t d = 0; d < rank; ++d) {
      if (d < axis) outer_ *= s[static_cast<size_t>(d)];
      else if (d == axis || legacy) len_ *= s[static_cast<size_t>(d)];
      else inner_ *= s[static_cast<size_t>(d)];
    }
  }
  void execute(const ExecArgs& args) override {
    switch (op_) {
      case OpKind::Softmax: run<OpKind::Softmax>(args); break;
      case OpKind::LogSoftmax: run<OpKind::LogSoftmax>(args); break;
      default: run<OpKind::Hardmax>(args); break;
    }
  }

 private:
  template <OpKind kOp>
  void run(const ExecArgs& args) {
    const float* x = static_cast<const float*>(args.src[0]);
    float* y = static_cast<float*>(args.dst[0]);
    const int64_t rows = outer_ * inner_, len = len_, inner = inner_;
#pragma omp parallel for schedule(static) if (rows * len >= kParallelMin && rows > 1)
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t o = r / inner, i = r % inner;
      const int64_t base = o * len * inner + i;
      row<kOp>(x + base, y + base, len, inner);
    }
  }

  OpKind op_;
  int64_t outer_ = 1, len_ = 1, inner_ = 1;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (auto why = require_dtype(ctx, 0, {DType::kFloat32}); !why.empty()) return why;
  const int64_t rank = static_cast<int64_t>(ctx.inputs[0].shape.size());
  const int64_t axis = ctx.node->attr_int("axis", ctx.graph->opset < 13 ? 1 : -1);
  if (!axis_ok(axis, std::max<int64_t>(rank, 1))) return cat("axis ", axis, " is out of range for rank ", rank);
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<SoftmaxKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> softmax_entries() {
  return {{"ref_softmax", OpKind::Softmax, guarded<why_not>, create},
          {"ref_softmax", OpKind::LogSoftmax, guarded<why_not>, create},
          {"ref_softmax", OpKind::Hardmax, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
