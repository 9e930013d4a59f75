// Gather (whole slices along an axis) and GatherElements (one element per index), any data
// dtype, int32 or int64 indices, negative indices counted from the end. An index out of
// range is an error naming the node rather than a read past the buffer.
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

inline int64_t index_at(DType dtype, const void* p, int64_t i) {
  return dtype == DType::kInt64 ? static_cast<const int64_t*>(p)[i] : static_cast<const int32_t*>(p)[i];
}

class GatherKernel final : public Kernel {
 public:
  explicit GatherKernel(const KernelContext& ctx)
      : elements_(ctx.node->op == OpKind::GatherElements), idx_dtype_(ctx.inputs[1].dtype),
        elem_(dtype_size(ctx.inputs[0].dtype)), name_(ctx.describe()) {
    const Shape& s = ctx.inputs[0].shape;
    rank_ = static_cast<int>(s.size());
    const int64_t axis = normalize_axis(ctx.node->attr_int("axis", 0), rank_);
    axis_ = static_cast<int>(axis);
    len_ = s[static_cast<size_t>(axis)];
    for (int d = 0; d < rank_; ++d) {
      if (d < axis) outer_ *= s[static_cast<size_t>(d)];
      else if (d > axis) inner_ *= s[static_cast<size_t>(d)];
    }
    n_idx_ = ctx.inputs[1].numel();
    if (elements_) {
      const Shape& is = ctx.inputs[1].shape;
      const std::vector<int64_t> ds = strides_of(s);
      for (int d = 0; d < rank_; ++d) { idims_[d] = is[static_cast<size_t>(d)]; dstrides_[d] = ds[static_cast<size_t>(d)]; }
    }
  }

  void execute(const ExecArgs& args) override {
    // Indices are checked first so that no thread reads out of bounds.
    for (int64_t i = 0; i < n_idx_; ++i) {
      const int64_t k = index_at(idx_dtype_, args.src[1], i);
      if (k < -len_ || k >= len_) fail(name_, ": index ", k, " is out of range for an axis of ", len_);
    }
    if (elements_) {
      visit_size(elem_, [&](auto tag) {
        using T = decltype(tag);
        run_elements(static_cast<const T*>(args.src[0]), args.src[1], static_cast<T*>(args.dst[0]));
      });
      return;
    }
    const auto* x = static_cast<const uint8_t*>(args.src[0]);
    auto* y = static_cast<uint8_t*>(args.dst[0]);
    const size_t chunk = static_cast<size_t>(inner_) * elem_;
#pragma omp parallel for schedule(static) if (outer_ * n_idx_ * inner_ >= kParallelMin && outer_ * n_idx_ > 1)
    for (int64_t r = 0; r < outer_ * n_idx_; ++r) {
      const int64_t o = r / n_idx_, i = r % n_idx_;
      int64_t k = index_at(idx_dtype_, args.src[1], i);
      if (k < 0) k += len_;
      std::memcpy(y + static_cast<size_t>(r) * chunk, x + static_cast<size_t>(o * len_ + k) * chunk, chunk);
    }
  }

 private:
  template <class T>
  void run_elements(const T* x, const void* idx, T* y) {
    for (int64_t i = 0; i < n_idx_; ++i) {
      int64_t rem = i, off = 0;
      for (int d = rank_ - 1; d >= 0; --d) {
        int64_t c = rem % idims_[d];
        rem /= idims_[d];
        if (d == axis_) {
          c = index_at(idx_dtype_, idx, i);
          if (c < 0) c += len_;
        }
        off += c * dstrides_[d];
      }
      y[i] = x[off];
    }
  }

  bool elements_;
  DType idx_dtype_;
  size_t elem_;
  std::string name_;
  int rank_ = 0, axis_ = 0;
  int64_t len_ = 0, outer_ = 1, inner_ = 1, n_idx_ = 0;
  int64_t idims_[kMaxRank] = {}, dstrides_[kMaxRank] = {};
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0) || !input_present(ctx, 1)) return "takes data and indices";
  if (ctx.inputs[1].dtype != DType::kInt64 && ctx.inputs[1].dtype != DType::kInt32) return "indices must be int32 or int64";
  const int64_t rank = static_cast<int64_t>(ctx.inputs[0].shape.size());
  const int64_t axis = ctx.node->attr_int("axis", 0);
  if (!axis_ok(axis, rank)) return cat("axis ", axis, " out of range for rank ", rank);
  if (ctx.node->op == OpKind::GatherElements) {
    if (ctx.inputs[1].shape.size() != ctx.inputs[0].shape.size()) return "indices must have the data's rank";
    if (ctx.outputs[0].shape != ctx.inputs[1].shape) return "output shape must be the indices'";
  } else {
    Shape out;
    const Shape& s = ctx.inputs[0].shape;
    const size_t a = static_cast<size_t>(normalize_axis(axis, rank));
    out.insert(out.end(), s.begin(), s.begin() + static_cast<int64_t>(a));
    out.insert(out.end(), ctx.inputs[1].shape.begin(), ctx.inputs[1].shape.end());
    out.insert(out.end(), s.begin() + static_cast<int64_t>(a) + 1, s.end());
    if (out != ctx.outputs[0].shape) return cat("output shape ", shape_str(ctx.outputs[0].shape), " is not ", shape_str(out));
  }
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<GatherKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> gather_entries() {
  return {{"ref_gather", OpKind::Gather, guarded<why_not>, create},
          {"ref_gather", OpKind::GatherElements, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
