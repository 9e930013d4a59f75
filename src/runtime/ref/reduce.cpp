// The Reduce* family. Axes come from the attribute, or from input 1 for ReduceSum since
// opset 13 (noop_with_empty_axes honoured). Dims are merged into alternating kept/reduced
// groups; when the innermost group is reduced each output reads contiguous runs, when it is
// kept each output row accumulates contiguous input rows, so both layouts vectorise.
#include <cmath>
#include <limits>
#include <type_traits>

#include "core/int_math.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

// Reduced axes (sorted, unique) or a reason in *why. Empty axes with noop set returns
// {} with *noop = true; empty without noop means every axis.
std::vector<bool> reduced_axes(const KernelContext& ctx, const std::vector<int64_t>& axes_in, bool* noop,
                               std::string* why) {
  const int64_t rank = static_cast<int64_t>(ctx.inputs[0].shape.size());
  std::vector<bool> reduced(static_cast<size_t>(rank), false);
  *noop = false;
  if (axes_in.empty()) {
    if (ctx.node->attr_int("noop_with_empty_axes", 0) != 0) *noop = true;
    else reduced.assign(static_cast<size_t>(rank), true);
    return reduced;
  }
  for (int64_t a : axes_in) {
    if (!axis_ok(a, rank)) { *why = cat("axis ", a, " out of range for rank ", rank); return {}; }
    reduced[static_cast<size_t>(normalize_axis(a, rank))] = true;
  }
  return reduced;
}

// ReduceSum takes its axes as an input from opset 13, the other reductions from opset 18.
bool axes_from_input(const KernelContext& ctx) {
  return ctx.graph->opset >= (ctx.node->op == OpKind::ReduceSum ? 13 : 18);
}

// Axes as given; false (with *runtime set) when they are a runtime input read per run.
bool get_axes(const KernelContext& ctx, std::vector<int64_t>* axes, bool* runtime) {
  *runtime = false;
  if (axes_from_input(ctx)) {
    if (!input_present(ctx, 1)) return true;
    if (!ctx.constants[1]) { *runtime = true; return false; }
    *axes = tensor_ints(*ctx.constants[1]);
    return true;
  }
  *axes = ctx.node->attr_ints("axes", {});
  return true;
}

struct Layout3 {
  // Merged groups, outermost first.
  std::vector<int64_t> dims, strides;
  std::vector<bool> reduced;
  int64_t out_numel = 1, count = 1;  // count: elements reduced into each output
};

template <class T, class A, OpKind kOp>
struct Reducer {
  static A init() {
    if constexpr (kOp == OpKind::ReduceMax) return std::numeric_limits<A>::lowest();
    else if constexpr (kOp == OpKind::ReduceMin) return std::numeric_limits<A>::max();
    else if constexpr (kOp == OpKind::ReduceProd) return A(1);
    else return A(0);
  }
  // Integer accumulators wrap instead of overflowing, and integer results of the float
  // reductions (L2, LogSum) saturate: core/int_math.hpp says why.
  static A step(A acc, T x) {
    const A v = static_cast<A>(x);
    if constexpr (kOp == OpKind::ReduceMax) return v > acc ? v : acc;
    else if constexpr (kOp == OpKind::ReduceMin) return v < acc ? v : acc;
    else if constexpr (kOp == OpKind::ReduceProd) return wrap_mul(acc, v);
    else if constexpr (kOp == OpKind::ReduceL1) return wrap_add(acc, wrap_abs(v));
    else if constexpr (kOp == OpKind::ReduceL2 || kOp == OpKind::ReduceSumSquare) return wrap_add(acc, wrap_mul(v, v));
    else if constexpr (kOp == OpKind::ReduceLogSumExp) return acc + std::exp(v);
    else return wrap_add(acc, v);
  }
  static T finish(A acc, int64_t count) {
    if constexpr (kOp == OpKind::ReduceMean && std::is_integral_v<A>) return count == 0 ? T(0) : cast_value<T>(acc / count);
    else if constexpr (kOp == OpKind::ReduceMean) return cast_value<T>(acc / static_cast<A>(count));
    else if constexpr (kOp == OpKind::ReduceL2) return cast_value<T>(std::sqrt(acc));
    else if constexpr (kOp == OpKind::ReduceLogSum || kOp == OpKind::ReduceLogSumExp) return cast_value<T>(std::log(acc));
    else return static_cast<T>(acc);
  }
};

class ReduceKernel final : public Kernel {
 public:
  ReduceKernel(const KernelContext& ctx)
      : op_(ctx.node->op), dtype_(ctx.inputs[0].dtype), in_numel_(ctx.inputs[0].numel()),
        in_shape_(ctx.inputs[0].shape), out_shape_(ctx.outputs[0].shape),
        noop_attr_(ctx.node->attr_int("noop_with_empty_axes", 0) != 0), name_(ctx.describe()) {
    std::vector<int64_t> axes;
    if (get_axes(ctx, &axes, &runtime_axes_)) {
      configure(axes);
    } else {
      axes_dtype_ = ctx.inputs[1].dtype;
      axes_count_ = ctx.inputs[1].numel();
    }
  }

  void execute(const ExecArgs& args) override {
    if (runtime_axes_) {
      // Axes given as a runtime input: the plan is rebuilt only when they change, so a
      // steady state allocates nothing.
      int64_t axes[kMaxRank];
      if (axes_count_ > kMaxRank) fail(name_, ": more axes than dims");
      for (int64_t i = 0; i < axes_count_; ++i) axes[i] = static_cast<int64_t>(read_number(axes_dtype_, args.src[1], i));
      if (!configured_ || !std::equal(axes, axes + axes_count_, last_axes_.begin(), last_axes_.end())) {
        configure(std::vector<int64_t>(axes, axes + axes_count_));
        last_axes_.assign(axes, axes + axes_count_);
      }
    }
    run_configured(args);
  }

 private:
  void configure(const std::vector<int64_t>& axes) {
    const int64_t rank = static_cast<int64_t>(in_shape_.size());
    std::vector<bool> reduced(static_cast<size_t>(rank), axes.empty() && !noop_attr_);
    noop_ = axes.empty() && noop_attr_;
    for (int64_t a : axes) {
      if (!axis_ok(a, rank)) fail(name_, ": axis ", a, " out of range for rank ", rank);
      reduced[static_cast<size_t>(normalize_axis(a, rank))] = true;
    }
    int64_t out_numel = 1;
    for (size_t d = 0; d < reduced.size(); ++d)
      if (!reduced[d]) out_numel *= in_shape_[d];
    if (!noop_ && out_numel != shape_numel(out_shape_))
      fail(name_, ": the axes give another output size than the ", shape_str(out_shape_), " compiled for");
    g_ = Layout3{};
    configured_ = true;
    const Shape& s = in_shape_;
    const std::vector<int64_t> st = strides_of(s);
    for (size_t d = 0; d < s.size(); ++d) {
      if (s[d] == 1) continue;
      if (!g_.dims.empty() && g_.reduced.back() == reduced[d]) {
        g_.dims.back() *= s[d];
        g_.strides.back() = st[d];
      } else {
        g_.dims.push_back(s[d]);
        g_.strides.push_back(st[d]);
        g_.reduced.push_back(reduced[d]);
      }
      if (reduced[d]) g_.count *= s[d];
      else g_.out_numel *= s[d];
    }
    if (g_.dims.empty()) {  // a single element
      g_.dims.push_back(1);
      g_.strides.push_back(1);
      g_.reduced.push_back(true);
    }
    inner_reduced_ = g_.reduced.back();
    inner_ = g_.dims.back();
    // Offsets of every reduced index outside the innermost group (or all, when it is kept).
    std::vector<int64_t> rdims, rstrides, kdims, kstrides;
    for (size_t i = 0; i + (inner_reduced_ ? 1 : 0) < g_.dims.size(); ++i) {
      if (g_.reduced[i]) { rdims.push_back(g_.dims[i]); rstrides.push_back(g_.strides[i]); }
    }
    for (size_t i = 0; i + (inner_reduced_ ? 0 : 1) < g_.dims.size(); ++i)
      if (!g_.reduced[i]) { kdims.push_back(g_.dims[i]); kstrides.push_back(g_.strides[i]); }
    roff_ = offsets(rdims, rstrides);
    koff_ = offsets(kdims, kstrides);
  }

  void run_configured(const ExecArgs& args) {
    if (noop_) {
      std::memcpy(args.dst[0], args.src[0], static_cast<size_t>(in_numel_) * dtype_size(dtype_));
      return;
    }
    visit_dtype(dtype_, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int32_t> ||
                    std::is_same_v<T, int64_t> || std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>) {
        using A = std::conditional_t<std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>, int64_t, T>;
        switch (op_) {
          case OpKind::ReduceMean: run<T, A, OpKind::ReduceMean>(args); break;
          case OpKind::ReduceSum: run<T, A, OpKind::ReduceSum>(args); break;
          case OpKind::ReduceMax: run<T, A, OpKind::ReduceMax>(args); break;
          case OpKind::ReduceMin: run<T, A, OpKind::ReduceMin>(args); break;
          case OpKind::ReduceProd: run<T, A, OpKind::ReduceProd>(args); break;
          case OpKind::ReduceL1: run<T, A, OpKind::ReduceL1>(args); break;
          case OpKind::ReduceL2: run<T, double, OpKind::ReduceL2>(args); break;
          case OpKind::ReduceSumSquare: run<T, A, OpKind::ReduceSumSquare>(args); break;
          case OpKind::ReduceLogSum: run<T, double, OpKind::ReduceLogSum>(args); break;
          case OpKind::ReduceLogSumExp: run<T, double, OpKind::ReduceLogSumExp>(args); break;
          default: break;
        }
      }
    });
  }

  static std::vector<int64_t> offsets(const std::vector<int64_t>& dims, const std::vector<int64_t>& strides) {
    std::vector<int64_t> r = {0};
    for (size_t d = 0; d < dims.size(); ++d) {
      std::vector<int64_t> next;
      next.reserve(r.size() * static_cast<size_t>(dims[d]));
      for (int64_t base : r)
        for (int64_t i = 0; i < dims[d]; ++i) next.push_back(base + i * strides[d]);
      r.swap(next);
    }
    return r;
  }

  template <class T, class A, OpKind kOp>
  void run(const ExecArgs& args) {
    using R = Reducer<T, A, kOp>;
    const T* x = static_cast<const T*>(args.src[0]);
    T* y = static_cast<T*>(args.dst[0]);
    const int64_t nk = static_cast<int64_t>(koff_.size()), nr = static_cast<int64_t>(roff_.size()),
                  inner = inner_, count = g_.count;
    const int64_t* koff = koff_.data();
    const int64_t* roff = roff_.data();
    if (inner_reduced_) {
      // Each output: runs of `inner` contiguous reduced elements.
#pragma omp parallel for schedule(static) if (in_numel_ >= kParallelMin && nk > 1)
      for (int64_t o = 0; o < nk; ++o) {
        A acc = R::init();
        for (int64_t r = 0; r < nr; ++r) {
          const T* p = x + koff[o] + roff[r];
          for (int64_t i = 0; i < inner; ++i) acc = R::step(acc, p[i]);
        }
        y[o] = R::finish(acc, count);
      }
    } else {
      // Each output row of `inner` kept elements accumulates nr input rows.
#pragma omp parallel for schedule(static) if (in_numel_ >= kParallelMin && nk > 1)
      for (int64_t o = 0; o < nk; ++o) {
        T* yo = y + o * inner;
        constexpr int64_t kBlock = 256;
        A acc[kBlock];
        for (int64_t i0 = 0; i0 < inner; i0 += kBlock) {
          const int64_t n = std::min(kBlock, inner - i0);
          for (int64_t i = 0; i < n; ++i) acc[i] = R::init();
          for (int64_t r = 0; r < nr; ++r) {
            const T* p = x + koff[o] + roff[r] + i0;
#pragma omp simd
            for (int64_t i = 0; i < n; ++i) acc[i] = R::step(acc[i], p[i]);
          }
          for (int64_t i = 0; i < n; ++i) yo[i0 + i] = R::finish(acc[i], count);
        }
      }
    }
  }

  OpKind op_;
  DType dtype_;
  int64_t in_numel_;
  Shape in_shape_, out_shape_;
  bool noop_attr_;
  std::string name_;
  bool noop_ = false, runtime_axes_ = false, configured_ = false;
  DType axes_dtype_ = DType::kInt64;
  int64_t axes_count_ = 0;
  std::vector<int64_t> last_axes_;
  Layout3 g_;
  bool inner_reduced_ = true;
  int64_t inner_ = 1;
  std::vector<int64_t> roff_, koff_;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (auto why = require_dtype(ctx, 0, {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64, DType::kInt8,
                                        DType::kUInt8});
      !why.empty())
    return why;
  std::vector<int64_t> axes;
  std::string why;
  bool runtime = false;
  if (get_axes(ctx, &axes, &runtime)) {
    bool noop = false;
    reduced_axes(ctx, axes, &noop, &why);
    if (!why.empty()) return why;
  } else if (ctx.inputs[1].dtype != DType::kInt64 || ctx.inputs[1].numel() > kMaxRank) {
    return "axes must be int64, at most one per dim";
  }
  if (ctx.inputs[0].numel() == 0) return "empty input";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<ReduceKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> reduce_entries() {
  std::vector<KernelEntry> r;
  for (OpKind op : {OpKind::ReduceMean, OpKind::ReduceSum, OpKind::ReduceMax, OpKind::ReduceMin, OpKind::ReduceProd,
                    OpKind::ReduceL1, OpKind::ReduceL2, OpKind::ReduceSumSquare, OpKind::ReduceLogSum,
                    OpKind::ReduceLogSumExp})
    r.push_back({"ref_reduce", op, guarded<why_not>, create});
  return r;
}

}  // namespace octet::rt::ref
