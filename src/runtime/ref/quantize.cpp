// QuantizeLinear and DequantizeLinear, per tensor or per axis (opset 13), uint8/int8 (and
// int32 for Dequantize). Quantize rounds half to even and saturates; scales and zero points
// are read per run since QDQ models may feed them as inputs.
#include <cmath>
#include <limits>
#include <type_traits>

#include "ir/qdq/scheme.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

class QdqKernel final : public Kernel {
 public:
  explicit QdqKernel(const KernelContext& ctx)
      : quantize_(ctx.node->op == OpKind::QuantizeLinear), has_zp_(input_present(ctx, 2)),
        qtype_(quantize_ ? ctx.outputs[0].dtype : ctx.inputs[0].dtype), n_(ctx.inputs[0].numel()) {
    const Shape& s = ctx.inputs[0].shape;
    if (ctx.inputs[1].numel() > 1) {
      const int64_t rank = static_cast<int64_t>(s.size());
      const int64_t axis = normalize_axis(ctx.node->attr_int("axis", 1), rank);
      channels_ = s[static_cast<size_t>(axis)];
      for (int64_t d = axis + 1; d < rank; ++d) inner_ *= s[static_cast<size_t>(d)];
    }
  }

  void execute(const ExecArgs& args) override {
    const float* scale = static_cast<const float*>(args.src[1]);
    visit_dtype(qtype_, [&](auto tag) {
      using Q = decltype(tag);
      if constexpr (std::is_same_v<Q, uint8_t> || std::is_same_v<Q, int8_t> || std::is_same_v<Q, int32_t>) {
        const Q* zp = has_zp_ ? static_cast<const Q*>(args.src[2]) : nullptr;
        if (quantize_) quantize<Q>(static_cast<const float*>(args.src[0]), scale, zp, static_cast<Q*>(args.dst[0]));
        else dequantize<Q>(static_cast<const Q*>(args.src[0]), scale, zp, static_cast<float*>(args.dst[0]));
      }
    });
  }

 private:
  template <class Q>
  void quantize(const float* x, const float* scale, const Q* zp, Q* y) const {
    const int32_t lo = std::numeric_limits<Q>::lowest(), hi = std::numeric_limits<Q>::max();
    const int64_t channels = channels_, inner = inner_;
    parallel_range(n_ / inner, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t c = r % channels;
        const int32_t z = zp ? static_cast<int32_t>(zp[c]) : 0;
        const float* xr = x + r * inner;
        Q* yr = y + r * inner;
        for (int64_t i = 0; i < inner; ++i) yr[i] = static_cast<Q>(ir::qdq::quantize(xr[i], scale[c], z, lo, hi));
      }
    });
  }

  template <class Q>
  void dequantize(const Q* x, const float* scale, const Q* zp, float* y) const {
    const int64_t channels = channels_, inner = inner_;
    parallel_range(n_ / inner, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t c = r % channels;
        const float s = scale[c];
        const int64_t z = zp ? static_cast<int64_t>(zp[c]) : 0;
        const Q* xr = x + r * inner;
        float* yr = y + r * inner;
        for (int64_t i = 0; i < inner; ++i) yr[i] = static_cast<float>(static_cast<int64_t>(xr[i]) - z) * s;
      }
    });
  }

  bool quantize_, has_zp_;
  DType qtype_;
  int64_t n_;
  int64_t channels_ = 1, inner_ = 1;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  const bool q = ctx.node->op == OpKind::QuantizeLinear;
  if (!input_present(ctx, 0) || !input_present(ctx, 1)) return "takes x and a scale";
  if (ctx.inputs[1].dtype != DType::kFloat32) return "scale must be float32";
  const DType qtype = q ? ctx.outputs[0].dtype : ctx.inputs[0].dtype;
  if (q && ctx.inputs[0].dtype != DType::kFloat32) return "quantizes float32 only";
  if (qtype != DType::kUInt8 && qtype != DType::kInt8 && !(qtype == DType::kInt32 && !q))
    return cat("quantized dtype ", dtype_name(qtype), " not supported");
  if (input_present(ctx, 2) && (ctx.inputs[2].dtype != qtype || ctx.inputs[2].numel() != ctx.inputs[1].numel()))
    return "zero point must match the scale's size and the quantized dtype";
  const int64_t scales = ctx.inputs[1].numel();
  if (scales > 1) {
    const Shape& s = ctx.inputs[0].shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    const int64_t axis = ctx.node->attr_int("axis", 1);
    if (!axis_ok(axis, rank)) return cat("axis ", axis, " out of range");
    if (ctx.inputs[1].shape.size() != 1 || s[static_cast<size_t>(normalize_axis(axis, rank))] != scales)
      return "per-axis scale must be 1-D with one value per channel of the axis";
  }
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<QdqKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> quantize_entries() {
  return {{"ref_quantize", OpKind::QuantizeLinear, guarded<why_not>, create},
          {"ref_quantize", OpKind::DequantizeLinear, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
