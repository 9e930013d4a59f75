// Tile, any dtype. The repeats are the output dims over the input dims (the output shape is
// fixed at compile time), so a runtime repeats input needs no reading.
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

class TileKernel final : public Kernel {
 public:
  explicit TileKernel(const KernelContext& ctx) : elem_(dtype_size(ctx.inputs[0].dtype)) {
    rank_ = static_cast<int>(ctx.inputs[0].shape.size());
    for (int d = 0; d < rank_; ++d) {
      in_[d] = ctx.inputs[0].shape[static_cast<size_t>(d)];
      out_[d] = ctx.outputs[0].shape[static_cast<size_t>(d)];
    }
    numel_ = ctx.outputs[0].numel();
  }
  void execute(const ExecArgs& args) override {
    if (numel_ == 0) return;
    visit_size(elem_, [&](auto tag) {
      using T = decltype(tag);
      const T* x = static_cast<const T*>(args.src[0]);
      T* y = static_cast<T*>(args.dst[0]);
      if (rank_ == 0) { y[0] = x[0]; return; }
      const int r = rank_;
      const int64_t inner_in = in_[r - 1], inner_out = out_[r - 1];
      int64_t rows = numel_ / inner_out, in_strides[kMaxRank], stride = 1;
      for (int d = r - 1; d >= 0; --d) { in_strides[d] = stride; stride *= in_[d]; }
#pragma omp parallel for schedule(static) if (numel_ >= kParallelMin && rows > 1)
      for (int64_t row = 0; row < rows; ++row) {
        int64_t off = 0, rem = row;
        for (int d = r - 2; d >= 0; --d) {
          off += (rem % out_[d]) % in_[d] * in_strides[d];
          rem /= out_[d];
        }
        T* yr = y + row * inner_out;
        for (int64_t k = 0; k < inner_out; k += inner_in)
          std::memcpy(yr + k, x + off, static_cast<size_t>(inner_in) * sizeof(T));
      }
    });
  }

 private:
  size_t elem_;
  int rank_ = 0;
  int64_t in_[kMaxRank] = {}, out_[kMaxRank] = {};
  int64_t numel_ = 0;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0)) return "input 0 is missing";
  const Shape& in = ctx.inputs[0].shape;
  const Shape& out = ctx.outputs[0].shape;
  if (in.size() != out.size()) return "output rank differs";
  for (size_t d = 0; d < in.size(); ++d)
    if (in[d] == 0 ? out[d] != 0 : out[d] % in[d] != 0) return "output dims are not multiples of the input's";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<TileKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> tile_entries() { return {{"ref_tile", ir::OpKind::Tile, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
