// Broadcasting binary and variadic ops: arithmetic (Add..Pow, Mod, Max/Min/Sum/Mean),
// comparisons, logical ops and PRelu. One loop over a merged broadcast plan, with inner
// loops specialised for same-shape and scalar-or-vector operands, so the common cases run
// contiguous and vectorised.
#include <cmath>
#include <type_traits>

#include "core/int_math.hpp"
#include "core/value_error.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

// out[i] = op(a[i*sa], b[i*sb]) over one row, sa and sb being 0 or 1 in the fast paths.
template <class T, class R, class Op>
inline void row_loop(const T* a, int64_t sa, const T* b, int64_t sb, R* out, int64_t n, Op op) {
  if (sa == 1 && sb == 1) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], b[i]);
  } else if (sa == 1 && sb == 0) {
    const T bv = b[0];
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], bv);
  } else if (sa == 0 && sb == 1) {
    const T av = a[0];
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) out[i] = op(av, b[i]);
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = op(a[i * sa], b[i * sb]);
  }
}

template <class T, class R, class Op>
void run_plan(const Broadcast& p, const void* a_ptr, const void* b_ptr, void* out_ptr, Op op) {
  const T* a = static_cast<const T*>(a_ptr);
  const T* b = static_cast<const T*>(b_ptr);
  R* out = static_cast<R*>(out_ptr);
  const int64_t sa = p.strides[0][p.rank - 1], sb = p.strides[1][p.rank - 1];
  for_each_row(p, [&](int64_t r, const int64_t* off) {
    row_loop(a + off[0], sa, b + off[1], sb, out + r * p.inner, p.inner, op);
  });
}

using PlanFn = void (*)(const Broadcast&, const void*, const void*, void*, int64_t fmod_flag);

// Mod with the divisor's sign (fmod=0), for b != 0: the kernel refuses a zero divisor first.
template <class T>
T int_mod(T a, T b) {
  if constexpr (std::is_signed_v<T>) {
    T r = int_rem(a, b);
    if (r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);  // sign of the divisor, like Python
    return r;
  } else {
    return int_rem(a, b);
  }
}

template <class T>
PlanFn arithmetic_fn(OpKind op) {
  switch (op) {
    case OpKind::Add: case OpKind::Sum: case OpKind::Mean:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<T, T>(p, a, b, o, [](T x, T y) { return wrap_add(x, y); });
      };
    case OpKind::Sub:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<T, T>(p, a, b, o, [](T x, T y) { return wrap_sub(x, y); });
      };
    case OpKind::Mul:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<T, T>(p, a, b, o, [](T x, T y) { return wrap_mul(x, y); });
      };
    case OpKind::Div:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        if constexpr (std::is_floating_point_v<T>)
          run_plan<T, T>(p, a, b, o, [](T x, T y) { return x / y; });
        else
          run_plan<T, T>(p, a, b, o, [](T x, T y) { return int_div(x, y); });
      };
    case OpKind::Max:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        // NaN propagates, as in NumPy's maximum.
        run_plan<T, T>(p, a, b, o, [](T x, T y) { return (x != x || x > y) ? x : y; });
      };
    case OpKind::Min:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<T, T>(p, a, b, o, [](T x, T y) { return (x != x || x < y) ? x : y; });
      };
    case OpKind::Mod:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t fmod_flag) {
        if constexpr (std::is_floating_point_v<T>) {
          run_plan<T, T>(p, a, b, o, [](T x, T y) { return std::fmod(x, y); });
        } else {
          if (fmod_flag)
            run_plan<T, T>(p, a, b, o, [](T x, T y) { return int_rem(x, y); });
          else
            run_plan<T, T>(p, a, b, o, [](T x, T y) { return int_mod<T>(x, y); });
        }
      };
    case OpKind::PRelu:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<T, T>(p, a, b, o, [](T x, T s) { return x < T(0) ? wrap_mul(x, s) : x; });
      };
    default: return nullptr;
  }
}

template <class T>
PlanFn compare_fn(OpKind op) {
  switch (op) {
    case OpKind::Equal:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<T, uint8_t>(p, a, b, o, [](T x, T y) { return static_cast<uint8_t>(x == y); });
      };
    case OpKind::Less:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<T, uint8_t>(p, a, b, o, [](T x, T y) { return static_cast<uint8_t>(x < y); });
      };
    case OpKind::LessOrEqual:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<T, uint8_t>(p, a, b, o, [](T x, T y) { return static_cast<uint8_t>(x <= y); });
      };
    case OpKind::Greater:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<T, uint8_t>(p, a, b, o, [](T x, T y) { return static_cast<uint8_t>(x > y); });
      };
    case OpKind::GreaterOrEqual:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<T, uint8_t>(p, a, b, o, [](T x, T y) { return static_cast<uint8_t>(x >= y); });
      };
    default: return nullptr;
  }
}

PlanFn logical_fn(OpKind op) {
  switch (op) {
    case OpKind::And:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<uint8_t, uint8_t>(p, a, b, o, [](uint8_t x, uint8_t y) { return static_cast<uint8_t>(x && y); });
      };
    case OpKind::Or:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<uint8_t, uint8_t>(p, a, b, o, [](uint8_t x, uint8_t y) { return static_cast<uint8_t>(x || y); });
      };
    case OpKind::Xor:
      return [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<uint8_t, uint8_t>(p, a, b, o, [](uint8_t x, uint8_t y) { return static_cast<uint8_t>((x != 0) != (y != 0)); });
      };
    default: return nullptr;
  }
}

// Pow: the exponent may have another dtype than the base; computed in double.
template <class T, class E>
void pow_plan(const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
  const T* x = static_cast<const T*>(a);
  const E* e = static_cast<const E*>(b);
  T* out = static_cast<T*>(o);
  const int64_t sa = p.strides[0][p.rank - 1], sb = p.strides[1][p.rank - 1];
  for_each_row(p, [&](int64_t r, const int64_t* off) {
    for (int64_t i = 0; i < p.inner; ++i) {
      const double v = std::pow(static_cast<double>(x[off[0] + i * sa]), static_cast<double>(e[off[1] + i * sb]));
      if constexpr (std::is_integral_v<T>) out[r * p.inner + i] = saturate_cast<T>(v);  // 0^-1 is inf
      else out[r * p.inner + i] = static_cast<T>(v);
    }
  });
}

template <class T>
PlanFn pow_fn(DType exponent) {
  PlanFn fn = nullptr;
  visit_dtype(exponent, [&](auto tag) {
    using E = decltype(tag);
    fn = pow_plan<T, E>;
  });
  return fn;
}

bool is_compare(OpKind op) {
  return op == OpKind::Equal || op == OpKind::Less || op == OpKind::LessOrEqual || op == OpKind::Greater ||
         op == OpKind::GreaterOrEqual;
}
bool is_logical(OpKind op) { return op == OpKind::And || op == OpKind::Or || op == OpKind::Xor; }
bool is_variadic(OpKind op) {
  return op == OpKind::Max || op == OpKind::Min || op == OpKind::Sum || op == OpKind::Mean;
}

PlanFn choose_fn(OpKind op, DType a, DType b) {
  PlanFn fn = nullptr;
  if (is_logical(op)) return a == DType::kBool ? logical_fn(op) : nullptr;
  visit_dtype(a, [&](auto tag) {
    using T = decltype(tag);
    if (a == DType::kFloat16) return;
    if (op == OpKind::Pow) fn = pow_fn<T>(b);
    else if (is_compare(op)) fn = compare_fn<T>(op);
    else if (a != DType::kBool) fn = arithmetic_fn<T>(op);
  });
  return fn;
}

// ONNX makes an integer Div or Mod by zero an error (ONNX Runtime: "Integer division by
// zero"); the divisor is scanned before the loop so the float path pays nothing.
template <class T>
bool has_zero(const void* p, int64_t n) {
  const T* v = static_cast<const T*>(p);
  for (int64_t i = 0; i < n; ++i)
    if (v[i] == T(0)) return true;
  return false;
}

class BinaryKernel final : public Kernel {
 public:
  BinaryKernel(const KernelContext& ctx) : op_(ctx.node->op) {
    const Shape& out = ctx.outputs[0].shape;
    fn_ = choose_fn(op_, ctx.inputs[0].dtype, ctx.inputs.size() > 1 ? ctx.inputs[1].dtype : ctx.inputs[0].dtype);
    fmod_ = ctx.node->attr_int("fmod", 0);
    // Pow(x, 2) is how exported LayerNorms square; a multiply is exact and far faster.
    const Tensor* e = ctx.constants.size() > 1 ? ctx.constants[1] : nullptr;
    if (op_ == OpKind::Pow && e && e->numel() == 1 && read_number(e->dtype, e->bytes.data()) == 2.0 &&
        ctx.inputs[0].dtype == DType::kFloat32)
      fn_ = [](const Broadcast& p, const void* a, const void* b, void* o, int64_t) {
        run_plan<float, float>(p, a, a, o, [](float x, float) { return x * x; });
      };
    dtype_ = ctx.inputs[0].dtype;
    numel_ = shape_numel(out);
    if ((op_ == OpKind::Div || op_ == OpKind::Mod) && !is_float_dtype(dtype_) && ctx.inputs.size() == 2) {
      divisor_numel_ = ctx.inputs[1].numel();
      where_ = ctx.describe();
    }
    if (ctx.inputs.size() == 1) {
      single_ = true;  // a variadic op of one input copies it
      return;
    }
    plans_.push_back(make_broadcast(out, {ctx.inputs[0].shape, ctx.inputs[1].shape}));
    for (size_t i = 2; i < ctx.inputs.size(); ++i) plans_.push_back(make_broadcast(out, {out, ctx.inputs[i].shape}));
  }

  void execute(const ExecArgs& args) override {
    if (single_) {
      std::memcpy(args.dst[0], args.src[0], static_cast<size_t>(numel_) * dtype_size(dtype_));
    } else {
      if (divisor_numel_ > 0) check_divisor(args.src[1]);
      fn_(plans_[0], args.src[0], args.src[1], args.dst[0], fmod_);
      for (size_t i = 1; i < plans_.size(); ++i) fn_(plans_[i], args.dst[0], args.src[i + 1], args.dst[0], fmod_);
    }
    if (op_ == OpKind::Mean) {
      const double n = static_cast<double>(plans_.size() + 1);
      if (dtype_ == DType::kFloat32) {
        float* y = static_cast<float*>(args.dst[0]);
        for (int64_t i = 0; i < numel_; ++i) y[i] = static_cast<float>(y[i] / n);
      } else if (dtype_ == DType::kFloat64) {
        double* y = static_cast<double*>(args.dst[0]);
        for (int64_t i = 0; i < numel_; ++i) y[i] /= n;
      }
    }
  }

 private:
  void check_divisor(const void* b) const {
    bool zero = false;
    visit_dtype(dtype_, [&](auto tag) { zero = has_zero<decltype(tag)>(b, divisor_numel_); });
    if (zero) throw ValueError(cat(where_, ": integer ", op_ == OpKind::Div ? "division" : "modulo", " by zero"));
  }

  OpKind op_;
  PlanFn fn_ = nullptr;
  int64_t divisor_numel_ = 0;  // > 0 for an integer Div or Mod: its divisor is checked for 0
  std::string where_;          // the node, for that error
  int64_t fmod_ = 0;
  DType dtype_;
  int64_t numel_ = 0;
  bool single_ = false;
  std::vector<Broadcast> plans_;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  const OpKind op = ctx.node->op;
  const size_t n = ctx.inputs.size();
  if (n == 0 || (!is_variadic(op) && n != 2)) return cat("takes ", is_variadic(op) ? "one or more" : "two", " inputs");
  for (size_t i = 0; i < n; ++i)
    if (!ctx.inputs[i].present()) return cat("input ", i, " is missing");
  const DType a = ctx.inputs[0].dtype;
  if (op != OpKind::Pow)
    for (size_t i = 1; i < n; ++i)
      if (ctx.inputs[i].dtype != a) return "inputs have different dtypes";
  if (op == OpKind::Mean && !is_float_dtype(a)) return "Mean needs float inputs";
  if (op == OpKind::Mod && is_float_dtype(a) && ctx.node->attr_int("fmod", 0) != 1)
    return "Mod of floats needs fmod=1";
  if (!choose_fn(op, a, n > 1 ? ctx.inputs[1].dtype : a)) return cat("dtype ", dtype_name(a), " not supported");
  std::vector<Shape> shapes;
  for (const TensorDesc& d : ctx.inputs) shapes.push_back(d.shape);
  std::string why;
  Shape out = broadcast_shapes(shapes, &why);
  if (!why.empty()) return why;
  if (op == OpKind::PRelu && out != ctx.inputs[0].shape) return "PRelu's slope must broadcast to X";
  if (out != ctx.outputs[0].shape)
    return cat("output shape ", shape_str(ctx.outputs[0].shape), " is not the broadcast ", shape_str(out));
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<BinaryKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> binary_entries() {
  std::vector<KernelEntry> r;
  for (OpKind op : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Pow, OpKind::Mod, OpKind::Max,
                    OpKind::Min, OpKind::Mean, OpKind::Sum, OpKind::Equal, OpKind::Less, OpKind::LessOrEqual,
                    OpKind::Greater, OpKind::GreaterOrEqual, OpKind::And, OpKind::Or, OpKind::Xor, OpKind::PRelu})
    r.push_back({"ref_binary", op, guarded<why_not>, create});
  return r;
}

}  // namespace octet::rt::ref
