// Concat along one axis, any dtype: per outer index, one memcpy per input.
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class ConcatKernel final : public Kernel {
 public:
  explicit ConcatKernel(const KernelContext& ctx) {
    const Shape& s = ctx.outputs[0].shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    const int64_t axis = normalize_axis(ctx.node->attr_int("axis", 0), rank);
    const size_t elem = dtype_size(ctx.outputs[0].dtype);
    int64_t inner = 1;
    for (int64_t d = 0; d < rank; ++d) {
      if (d < axis) outer_ *= s[static_cast<size_t>(d)];
      else if (d > axis) inner *= s[static_cast<size_t>(d)];
    }
    for (const TensorDesc& in : ctx.inputs) chunk_.push_back(static_cast<size_t>(in.shape[static_cast<size_t>(axis)] * inner) * elem);
    for (size_t c : chunk_) out_chunk_ += c;
  }
  void execute(const ExecArgs& args) override {
    auto* y = static_cast<uint8_t*>(args.dst[0]);
    const int64_t outer = outer_;
#pragma omp parallel for schedule(static) if (static_cast<int64_t>(out_chunk_) * outer >= 4 * kParallelMin && outer > 1)
    for (int64_t o = 0; o < outer; ++o) {
      uint8_t* dst = y + static_cast<size_t>(o) * out_chunk_;
      for (size_t i = 0; i < chunk_.size(); ++i) {
        if (!chunk_[i]) continue;
        std::memcpy(dst, static_cast<const uint8_t*>(args.src[i]) + static_cast<size_t>(o) * chunk_[i], chunk_[i]);
        dst += chunk_[i];
      }
    }
  }

 private:
  int64_t outer_ = 1;
  std::vector<size_t> chunk_;  // bytes per outer index, per input
  size_t out_chunk_ = 0;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (ctx.inputs.empty()) return "no inputs";
  const Shape& out = ctx.outputs[0].shape;
  const int64_t rank = static_cast<int64_t>(out.size());
  const int64_t axis = ctx.node->attr_int("axis", 0);
  if (!axis_ok(axis, rank)) return cat("axis ", axis, " out of range for rank ", rank);
  const size_t a = static_cast<size_t>(normalize_axis(axis, rank));
  int64_t total = 0;
  for (size_t i = 0; i < ctx.inputs.size(); ++i) {
    const TensorDesc& in = ctx.inputs[i];
    if (!in.present()) return cat("input ", i, " is missing");
    if (in.dtype != ctx.outputs[0].dtype) return "inputs differ in dtype";
    if (in.shape.size() != out.size()) return "inputs differ in rank";
    for (size_t d = 0; d < out.size(); ++d)
      if (d != a && in.shape[d] != out[d]) return cat("input ", i, " has shape ", shape_str(in.shape));
    total += in.shape[a];
  }
  if (total != out[a]) return "output size along the axis is not the sum of the inputs'";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<ConcatKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> concat_entries() { return {{"ref_concat", ir::OpKind::Concat, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
