// Slice, any dtype. Before opset 10 starts/ends/axes are attributes; since then inputs
// (plus steps), read in create() when constant, else on each run (they are a few ints, and
// the output shape was fixed at compile time, so a mismatch is an error, not a resize).
#include <limits>

#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

struct SliceParams {
  int rank = 0;
  int64_t out[kMaxRank] = {}, strides[kMaxRank] = {};
  int64_t base = 0;
};

// Up to kMaxRank ints without allocating: slice bounds read on each run.
struct Ints {
  int64_t v[kMaxRank] = {};
  size_t n = 0;
  bool set(const std::vector<int64_t>& x) {
    if (x.size() > static_cast<size_t>(kMaxRank)) return false;
    n = x.size();
    std::copy(x.begin(), x.end(), v);
    return true;
  }
  bool read(DType dtype, const void* data, int64_t count) {
    if (count > kMaxRank) return false;
    n = static_cast<size_t>(count);
    for (int64_t i = 0; i < count; ++i)
      v[i] = dtype == DType::kInt64 ? static_cast<const int64_t*>(data)[i] : static_cast<const int32_t*>(data)[i];
    return true;
  }
};

// Computes the strided view; "" or the reason it does not fit. Allocates nothing unless it fails.
std::string compute(const Shape& in, const Ints& starts, const Ints& ends, const Ints& axes_in, const Ints& steps_in,
                    SliceParams* p) {
  const int64_t rank = static_cast<int64_t>(in.size());
  const size_t n = starts.n;
  if (ends.n != n || (axes_in.n != 0 && axes_in.n != n) || (steps_in.n != 0 && steps_in.n != n))
    return "starts, ends, axes and steps differ in length";
  p->rank = static_cast<int>(rank);
  p->base = 0;
  int64_t stride = 1;
  int64_t st[kMaxRank];
  for (int64_t d = rank - 1; d >= 0; --d) {
    st[d] = stride;
    stride *= in[static_cast<size_t>(d)];
  }
  for (int64_t d = 0; d < rank; ++d) { p->out[d] = in[static_cast<size_t>(d)]; p->strides[d] = st[d]; }
  for (size_t i = 0; i < n; ++i) {
    const int64_t axis = axes_in.n ? axes_in.v[i] : static_cast<int64_t>(i);
    if (!axis_ok(axis, rank)) return cat("axis ", axis, " out of range");
    const int64_t d = normalize_axis(axis, rank), dim = in[static_cast<size_t>(d)];
    const int64_t step = steps_in.n ? steps_in.v[i] : 1;
    if (step == 0) return "step 0";
    int64_t s = starts.v[i], e = ends.v[i];
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
    }
    const int64_t len = step > 0 ? (e - s + step - 1) / step : (s - e + (-step) - 1) / (-step);
    p->out[d] = std::max<int64_t>(0, len);
    p->base += s * st[d];
    p->strides[d] = st[d] * step;
  }
  return "";
}

class SliceKernel final : public Kernel {
 public:
  explicit SliceKernel(const KernelContext& ctx)
      : in_(ctx.inputs[0].shape), out_(ctx.outputs[0].shape), elem_(dtype_size(ctx.inputs[0].dtype)),
        name_(ctx.describe()) {
    if (ctx.graph->opset < 10) {
      Ints v[4];
      v[0].set(ctx.node->attr_ints("starts"));
      v[1].set(ctx.node->attr_ints("ends"));
      v[2].set(ctx.node->attr_ints("axes"));
      compute(in_, v[0], v[1], v[2], v[3], &p_);
      fixed_ = true;
      return;
    }
    for (size_t i = 1; i < 5; ++i) {
      present_[i] = input_present(ctx, i);
      if (present_[i]) { dtypes_[i] = ctx.inputs[i].dtype; counts_[i] = ctx.inputs[i].numel(); }
    }
    fixed_ = true;
    for (size_t i = 1; i < ctx.inputs.size() && i < 5; ++i)
      if (present_[i] && !ctx.constants[i]) fixed_ = false;
    if (fixed_) {
      Ints v[5];
      for (size_t i = 1; i < 5; ++i)
        if (present_[i]) v[i].set(tensor_ints(*ctx.constants[i]));
      compute(in_, v[1], v[2], v[3], v[4], &p_);
    }
  }

  void execute(const ExecArgs& args) override {
    SliceParams p = p_;
    if (!fixed_) {
      Ints v[5];
      for (size_t i = 1; i < 5; ++i)
        if (present_[i] && !v[i].read(dtypes_[i], args.src[i], counts_[i])) fail(name_, ": too many slice bounds");
      const std::string why = compute(in_, v[1], v[2], v[3], v[4], &p);
      if (!why.empty()) fail(name_, ": ", why);
    }
    for (int d = 0; d < p.rank; ++d)
      if (p.out[d] != out_[static_cast<size_t>(d)])
        fail(name_, ": the slice bounds give another shape than the ", shape_str(out_), " compiled for");
    if (shape_numel(out_) == 0) return;
    visit_size(elem_, [&](auto tag) {
      using T = decltype(tag);
      strided_copy(static_cast<const T*>(args.src[0]), static_cast<T*>(args.dst[0]), p.rank, p.out, p.strides, p.base);
    });
  }

 private:
  Shape in_, out_;
  size_t elem_;
  std::string name_;
  bool fixed_ = false;
  SliceParams p_;
  bool present_[5] = {};
  DType dtypes_[5] = {};
  int64_t counts_[5] = {};
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0)) return "input 0 is missing";
  if (ctx.graph->opset >= 10) {
    if (!input_present(ctx, 1) || !input_present(ctx, 2)) return "starts and ends are required";
    for (size_t i = 1; i < ctx.inputs.size() && i < 5; ++i)
      if (input_present(ctx, i) && ctx.inputs[i].dtype != DType::kInt64 && ctx.inputs[i].dtype != DType::kInt32)
        return cat("input ", i, " must be int32 or int64");
    bool all_constant = true;
    for (size_t i = 1; i < ctx.inputs.size() && i < 5; ++i)
      if (input_present(ctx, i) && !ctx.constants[i]) all_constant = false;
    for (size_t i = 1; i < ctx.inputs.size() && i < 5; ++i)
      if (input_present(ctx, i) && ctx.inputs[i].numel() > kMaxRank) return "more slice bounds than the rank";
    if (all_constant) {
      Ints v[5];
      for (size_t i = 1; i < 5; ++i)
        if (input_present(ctx, i)) v[i].set(tensor_ints(*ctx.constants[i]));
      SliceParams p;
      if (auto why = compute(ctx.inputs[0].shape, v[1], v[2], v[3], v[4], &p); !why.empty()) return why;
    }
  } else {
    SliceParams p;
    Ints v[4];
    if (!v[0].set(ctx.node->attr_ints("starts")) || !v[1].set(ctx.node->attr_ints("ends")) ||
        !v[2].set(ctx.node->attr_ints("axes")))
      return "more slice bounds than the rank";
    if (auto why = compute(ctx.inputs[0].shape, v[0], v[1], v[2], v[3], &p); !why.empty()) return why;
  }
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<SliceKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> slice_entries() { return {{"ref_slice", ir::OpKind::Slice, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
