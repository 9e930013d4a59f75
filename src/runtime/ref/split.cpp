// Split along one axis, any dtype. The sizes are the outputs' (shape inference read the
// `split` attribute or input, or split evenly), so the kernel never needs them.
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class SplitKernel final : public Kernel {
 public:
  explicit SplitKernel(const KernelContext& ctx) {
    const Shape& s = ctx.inputs[0].shape;
    const int64_t rank = static_cast<int64_t>(s.size());
    const int64_t axis = normalize_axis(ctx.node->attr_int("axis", 0), rank);
    const size_t elem = dtype_size(ctx.inputs[0].dtype);
    int64_t inner = 1;
    for (int64_t d = 0; d < rank; ++d) {
      if (d < axis) outer_ *= s[static_cast<size_t>(d)];
      else if (d > axis) inner *= s[static_cast<size_t>(d)];
    }
    for (const TensorDesc& out : ctx.outputs) chunk_.push_back(static_cast<size_t>(out.shape[static_cast<size_t>(axis)] * inner) * elem);
    for (size_t c : chunk_) in_chunk_ += c;
  }
  void execute(const ExecArgs& args) override {
    const auto* x = static_cast<const uint8_t*>(args.src[0]);
    for (int64_t o = 0; o < outer_; ++o) {
      const uint8_t* src = x + static_cast<size_t>(o) * in_chunk_;
      for (size_t i = 0; i < chunk_.size(); ++i) {
        if (args.dst[i] && chunk_[i])
          std::memcpy(static_cast<uint8_t*>(args.dst[i]) + static_cast<size_t>(o) * chunk_[i], src, chunk_[i]);
        src += chunk_[i];
      }
    }
  }

 private:
  int64_t outer_ = 1;
  std::vector<size_t> chunk_;
  size_t in_chunk_ = 0;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0)) return "input 0 is missing";
  const Shape& in = ctx.inputs[0].shape;
  const int64_t rank = static_cast<int64_t>(in.size());
  const int64_t axis = ctx.node->attr_int("axis", 0);
  if (!axis_ok(axis, rank)) return cat("axis ", axis, " out of range for rank ", rank);
  const size_t a = static_cast<size_t>(normalize_axis(axis, rank));
  int64_t total = 0;
  for (size_t i = 0; i < ctx.outputs.size(); ++i) {
    const TensorDesc& out = ctx.outputs[i];
    if (!out.present()) return "an output is unused and its size unknown";
    if (out.shape.size() != in.size()) return "outputs differ in rank";
    total += out.shape[a];
  }
  if (total != in[a]) return "output sizes do not add up to the input's";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<SplitKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> split_entries() { return {{"ref_split", ir::OpKind::Split, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
