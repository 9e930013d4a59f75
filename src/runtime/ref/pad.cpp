// Pad in constant, reflect and edge modes, any dtype; negative pads crop. Pads come from
// attributes before opset 11, from input 1 (and the constant from input 2) since, read per
// run when they are not constants.
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

enum class Mode { kConstant, kReflect, kEdge };

// Source index of output index o along a dim of n elements with `begin` padding, or -1 for
// the constant value.
inline int64_t source(int64_t o, int64_t begin, int64_t n, Mode mode) {
  int64_t i = o - begin;
  if (i >= 0 && i < n) return i;
  if (mode == Mode::kConstant) return -1;
  if (mode == Mode::kEdge) return i < 0 ? 0 : n - 1;
  if (n == 1) return 0;
  const int64_t period = 2 * (n - 1);
  i = ((i % period) + period) % period;
  return i < n ? i : period - i;
}

class PadKernel final : public Kernel {
 public:
  explicit PadKernel(const KernelContext& ctx)
      : dtype_(ctx.inputs[0].dtype), name_(ctx.describe()) {
    const std::string mode = ctx.node->attr_string("mode", "constant");
    mode_ = mode == "reflect" ? Mode::kReflect : mode == "edge" ? Mode::kEdge : Mode::kConstant;
    const Shape& s = ctx.inputs[0].shape;
    rank_ = static_cast<int>(s.size());
    for (int d = 0; d < rank_; ++d) { in_[d] = s[static_cast<size_t>(d)]; out_[d] = ctx.outputs[0].shape[static_cast<size_t>(d)]; }
    if (ctx.graph->opset < 11) {
      set_pads(ctx.node->attr_ints("pads"));
      value_ = ctx.node->attr_float("value", 0.0f);
      fixed_ = true;
    } else {
      pads_dtype_ = ctx.inputs[1].dtype;
      has_value_ = input_present(ctx, 2);
      if (ctx.constants[1]) { set_pads(tensor_ints(*ctx.constants[1])); fixed_ = true; }
    }
  }

  void execute(const ExecArgs& args) override {
    int64_t begin[kMaxRank];
    std::copy(begin_, begin_ + kMaxRank, begin);
    if (!fixed_) {
      for (int d = 0; d < rank_; ++d) {
        const int64_t b = static_cast<int64_t>(read_number(pads_dtype_, args.src[1], d));
        const int64_t e = static_cast<int64_t>(read_number(pads_dtype_, args.src[1], d + rank_));
        if (in_[d] + b + e != out_[d]) fail(name_, ": the pads give another shape than the one compiled for");
        begin[d] = b;
      }
    }
    visit_dtype(dtype_, [&](auto tag) {
      using T = decltype(tag);
      T value = static_cast<T>(value_);
      if (has_value_ && args.src[2]) value = static_cast<const T*>(args.src[2])[0];
      run(static_cast<const T*>(args.src[0]), static_cast<T*>(args.dst[0]), begin, value);
    });
  }

 private:
  void set_pads(const std::vector<int64_t>& pads) {
    for (int d = 0; d < rank_ && static_cast<size_t>(d) < pads.size(); ++d) begin_[d] = pads[static_cast<size_t>(d)];
  }

  template <class T>
  void run(const T* x, T* y, const int64_t* begin, T value) {
    if (rank_ == 0) { y[0] = x[0]; return; }
    const int r = rank_;
    const int64_t inner = out_[r - 1];
    int64_t rows = 1, in_strides[kMaxRank];
    for (int d = 0; d < r - 1; ++d) rows *= out_[d];
    int64_t stride = 1;
    for (int d = r - 1; d >= 0; --d) { in_strides[d] = stride; stride *= in_[d]; }
    const Mode mode = mode_;
#pragma omp parallel for schedule(static) if (rows * inner >= kParallelMin && rows > 1)
    for (int64_t row = 0; row < rows; ++row) {
      T* yr = y + row * inner;
      int64_t off = 0, rem = row;
      bool fill = false;
      for (int d = r - 2; d >= 0; --d) {
        const int64_t src = source(rem % out_[d], begin[d], in_[d], mode);
        rem /= out_[d];
        if (src < 0) fill = true;
        else off += src * in_strides[d];
      }
      if (fill) {
        for (int64_t i = 0; i < inner; ++i) yr[i] = value;
        continue;
      }
      const T* xr = x + off;
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t src = source(i, begin[r - 1], in_[r - 1], mode);
        yr[i] = src < 0 ? value : xr[src];
      }
    }
  }

  DType dtype_;
  std::string name_;
  Mode mode_ = Mode::kConstant;
  int rank_ = 0;
  int64_t in_[kMaxRank] = {}, out_[kMaxRank] = {}, begin_[kMaxRank] = {};
  bool fixed_ = false, has_value_ = false;
  DType pads_dtype_ = DType::kInt64;
  double value_ = 0;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0)) return "input 0 is missing";
  const std::string mode = ctx.node->attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge") return cat("mode '", mode, "' is not supported");
  const size_t rank = ctx.inputs[0].shape.size();
  if (ctx.outputs[0].shape.size() != rank) return "output rank differs";
  if (ctx.graph->opset >= 11) {
    if (!input_present(ctx, 1)) return "pads input is required";
    if (ctx.inputs.size() > 3 && input_present(ctx, 3)) return "the axes input is not supported";
    if (ctx.inputs[1].numel() != static_cast<int64_t>(2 * rank)) return "pads must have 2 * rank values";
    if (input_present(ctx, 2) && ctx.inputs[2].dtype != ctx.inputs[0].dtype) return "constant_value dtype differs";
  } else if (ctx.node->attr_ints("pads").size() != 2 * rank) {
    return "pads must have 2 * rank values";
  }
  for (size_t d = 0; d < rank; ++d)
    if (mode != "constant" && ctx.outputs[0].shape[d] > 0 && ctx.inputs[0].shape[d] == 0) return "cannot reflect or extend an empty dim";
  if (ctx.inputs[0].dtype == DType::kFloat16) return "float16 is not computed";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<PadKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> pad_entries() { return {{"ref_pad", ir::OpKind::Pad, guarded<why_not>, create}}; }

}  // namespace octet::rt::ref
