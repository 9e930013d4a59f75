// Elementwise unary ops and activations (Abs..Atanh, Erf, Not, IsNaN/IsInf, Relu..Gelu,
// Shrink): one flat loop per op over contiguous memory, split among threads when large.
// Float32 uses the vectorisable exp/tanh/erf of ref_math.hpp; float64 uses libm; integer
// inputs are accepted by the ops ONNX defines on them (Abs, Neg, Sign, Relu).
#include <cmath>
#include <type_traits>

#include "core/int_math.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_math.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

struct Params {
  float alpha = 0, beta = 0, gamma = 0;
  bool tanh_gelu = false;
  bool detect_negative = true, detect_positive = true;
};

template <class T, class R, class F>
void map(const void* src, void* dst, int64_t n, F f) {
  const T* x = static_cast<const T*>(src);
  R* y = static_cast<R*>(dst);
  parallel_range(n, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) y[i] = f(x[i]);
  });
}

template <class T> T fexp(T x) { if constexpr (std::is_same_v<T, float>) return exp_f(x); else return std::exp(x); }
template <class T> T ftanh(T x) { if constexpr (std::is_same_v<T, float>) return tanh_f(x); else return std::tanh(x); }
template <class T> T ferf(T x) { if constexpr (std::is_same_v<T, float>) return erf_f(x); else return std::erf(x); }

// The transcendental float32 activations, 8 lanes at a time; false if `op` is not one.
bool run_vector(OpKind op, const Params& p, const void* s, void* d, int64_t n) {
  const float* x = static_cast<const float*>(s);
  float* y = static_cast<float*>(d);
  auto go = [&](auto f) {
    parallel_range((n + 7) / 8, [&](int64_t begin, int64_t end) {
      map8(x + begin * 8, y + begin * 8, std::min(n, end * 8) - begin * 8, f);
    });
  };
  switch (op) {
    case OpKind::Exp: go([](v8f v) { return exp8(v); }); return true;
    case OpKind::Sigmoid: go([](v8f v) { return sigmoid8(v); }); return true;
    case OpKind::Tanh: go([](v8f v) { return tanh8(v); }); return true;
    case OpKind::Erf: go([](v8f v) { return erf8(v); }); return true;
    case OpKind::Gelu:
      if (p.tanh_gelu)
        go([](v8f v) { return 0.5f * v * (1.0f + tanh8(0.7978845608028654f * (v + 0.044715f * v * v * v))); });
      else
        go([](v8f v) { return gelu8(v); });
      return true;
    default: return false;
  }
}

// Float ops (float32 and float64). Returns false if `op` is not one.
template <class T>
bool run_float(OpKind op, const Params& p, const void* s, void* d, int64_t n) {
  if constexpr (std::is_same_v<T, float>)
    if (run_vector(op, p, s, d, n)) return true;
  const T a = static_cast<T>(p.alpha), b = static_cast<T>(p.beta), g = static_cast<T>(p.gamma);
  switch (op) {
    case OpKind::Abs: map<T, T>(s, d, n, [](T x) { return std::fabs(x); }); break;
    case OpKind::Neg: map<T, T>(s, d, n, [](T x) { return -x; }); break;
    case OpKind::Exp: map<T, T>(s, d, n, [](T x) { return fexp(x); }); break;
    case OpKind::Log: map<T, T>(s, d, n, [](T x) { return std::log(x); }); break;
    case OpKind::Sqrt: map<T, T>(s, d, n, [](T x) { return std::sqrt(x); }); break;
    case OpKind::Reciprocal: map<T, T>(s, d, n, [](T x) { return T(1) / x; }); break;
    case OpKind::Floor: map<T, T>(s, d, n, [](T x) { return std::floor(x); }); break;
    case OpKind::Ceil: map<T, T>(s, d, n, [](T x) { return std::ceil(x); }); break;
    case OpKind::Round: map<T, T>(s, d, n, [](T x) { return std::nearbyint(x); }); break;  // half to even
    case OpKind::Sign: map<T, T>(s, d, n, [](T x) { return x != x ? x : static_cast<T>((x > 0) - (x < 0)); }); break;
    case OpKind::Sin: map<T, T>(s, d, n, [](T x) { return std::sin(x); }); break;
    case OpKind::Cos: map<T, T>(s, d, n, [](T x) { return std::cos(x); }); break;
    case OpKind::Tan: map<T, T>(s, d, n, [](T x) { return std::tan(x); }); break;
    case OpKind::Asin: map<T, T>(s, d, n, [](T x) { return std::asin(x); }); break;
    case OpKind::Acos: map<T, T>(s, d, n, [](T x) { return std::acos(x); }); break;
    case OpKind::Atan: map<T, T>(s, d, n, [](T x) { return std::atan(x); }); break;
    case OpKind::Sinh: map<T, T>(s, d, n, [](T x) { return std::sinh(x); }); break;
    case OpKind::Cosh: map<T, T>(s, d, n, [](T x) { return std::cosh(x); }); break;
    case OpKind::Asinh: map<T, T>(s, d, n, [](T x) { return std::asinh(x); }); break;
    case OpKind::Acosh: map<T, T>(s, d, n, [](T x) { return std::acosh(x); }); break;
    case OpKind::Atanh: map<T, T>(s, d, n, [](T x) { return std::atanh(x); }); break;
    case OpKind::Erf: map<T, T>(s, d, n, [](T x) { return ferf(x); }); break;
    case OpKind::IsNaN: map<T, uint8_t>(s, d, n, [](T x) { return static_cast<uint8_t>(x != x); }); break;
    case OpKind::IsInf: {
      const bool neg = p.detect_negative, pos = p.detect_positive;
      map<T, uint8_t>(s, d, n, [=](T x) {
        return static_cast<uint8_t>(std::isinf(x) && ((x > 0 && pos) || (x < 0 && neg)));
      });
      break;
    }
    case OpKind::Relu: map<T, T>(s, d, n, [](T x) { return x > T(0) ? x : T(0); }); break;
    case OpKind::LeakyRelu: map<T, T>(s, d, n, [=](T x) { return x < T(0) ? a * x : x; }); break;
    case OpKind::Elu: map<T, T>(s, d, n, [=](T x) { return x < T(0) ? a * (fexp(x) - T(1)) : x; }); break;
    case OpKind::Selu: map<T, T>(s, d, n, [=](T x) { return x <= T(0) ? g * (a * fexp(x) - a) : g * x; }); break;
    case OpKind::Celu:
      map<T, T>(s, d, n, [=](T x) { return x > T(0) ? x : a * (fexp(x / a) - T(1)); });
      break;
    case OpKind::Sigmoid: map<T, T>(s, d, n, [](T x) { return T(1) / (T(1) + fexp(-x)); }); break;
    case OpKind::HardSigmoid:
      map<T, T>(s, d, n, [=](T x) { return std::max(T(0), std::min(T(1), a * x + b)); });
      break;
    case OpKind::HardSwish:
      map<T, T>(s, d, n, [](T x) { return x * std::max(T(0), std::min(T(1), x / T(6) + T(0.5))); });
      break;
    case OpKind::Tanh: map<T, T>(s, d, n, [](T x) { return ftanh(x); }); break;
    case OpKind::Softplus:
      map<T, T>(s, d, n, [](T x) { return x > T(20) ? x : std::log1p(std::exp(x)); });
      break;
    case OpKind::Softsign: map<T, T>(s, d, n, [](T x) { return x / (T(1) + std::fabs(x)); }); break;
    case OpKind::Mish:
      map<T, T>(s, d, n, [](T x) { return x * std::tanh(x > T(20) ? x : std::log1p(std::exp(x))); });
      break;
    case OpKind::Gelu:
      if (p.tanh_gelu)
        map<T, T>(s, d, n, [](T x) {
          return T(0.5) * x * (T(1) + ftanh(T(0.7978845608028654) * (x + T(0.044715) * x * x * x)));
        });
      else
        map<T, T>(s, d, n, [](T x) { return T(0.5) * x * (T(1) + ferf(x * T(0.7071067811865476))); });
      break;
    case OpKind::ThresholdedRelu: map<T, T>(s, d, n, [=](T x) { return x > a ? x : T(0); }); break;
    case OpKind::Shrink:
      // alpha = lambd, beta = bias
      map<T, T>(s, d, n, [=](T x) { return x < -a ? x + b : (x > a ? x - b : T(0)); });
      break;
    default: return false;
  }
  return true;
}

// Integer ops. Returns false if `op` is not defined on integers here.
template <class T>
bool run_int(OpKind op, const void* s, void* d, int64_t n) {
  switch (op) {
    case OpKind::Abs:
      map<T, T>(s, d, n, [](T x) { return wrap_abs(x); });  // |min| wraps to min
      return true;
    case OpKind::Neg: map<T, T>(s, d, n, [](T x) { return wrap_neg(x); }); return true;
    case OpKind::Sign: map<T, T>(s, d, n, [](T x) { return static_cast<T>((x > 0) - (x < 0)); }); return true;
    case OpKind::Relu: map<T, T>(s, d, n, [](T x) { return x > 0 ? x : T(0); }); return true;
    default: return false;
  }
}

bool run(OpKind op, DType dtype, const Params& p, const void* s, void* d, int64_t n) {
  if (op == OpKind::Not) {
    if (dtype != DType::kBool) return false;
    map<uint8_t, uint8_t>(s, d, n, [](uint8_t x) { return static_cast<uint8_t>(!x); });
    return true;
  }
  if (dtype == DType::kFloat32) return run_float<float>(op, p, s, d, n);
  if (dtype == DType::kFloat64) return run_float<double>(op, p, s, d, n);
  bool ok = false;
  if (!is_numeric_dtype(dtype)) return false;
  visit_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_integral_v<T>) ok = run_int<T>(op, s, d, n);
  });
  return ok;
}

Params params_of(const ir::Node& node) {
  Params p;
  switch (node.op) {
    case OpKind::LeakyRelu: p.alpha = node.attr_float("alpha", 0.01f); break;
    case OpKind::Elu: case OpKind::Celu: case OpKind::ThresholdedRelu: p.alpha = node.attr_float("alpha", 1.0f); break;
    case OpKind::Selu:
      p.alpha = node.attr_float("alpha", 1.67326319217681884765625f);
      p.gamma = node.attr_float("gamma", 1.05070102214813232421875f);
      break;
    case OpKind::HardSigmoid: p.alpha = node.attr_float("alpha", 0.2f); p.beta = node.attr_float("beta", 0.5f); break;
    case OpKind::Shrink: p.alpha = node.attr_float("lambd", 0.5f); p.beta = node.attr_float("bias", 0.0f); break;
    case OpKind::Gelu: p.tanh_gelu = node.attr_string("approximate", "none") == "tanh"; break;
    case OpKind::IsInf:
      p.detect_negative = node.attr_int("detect_negative", 1) != 0;
      p.detect_positive = node.attr_int("detect_positive", 1) != 0;
      break;
    default: break;
  }
  return p;
}

class UnaryKernel final : public Kernel {
 public:
  explicit UnaryKernel(const KernelContext& ctx)
      : op_(ctx.node->op), dtype_(ctx.inputs[0].dtype), n_(ctx.inputs[0].numel()), params_(params_of(*ctx.node)) {}
  void execute(const ExecArgs& args) override { run(op_, dtype_, params_, args.src[0], args.dst[0], n_); }

 private:
  OpKind op_;
  DType dtype_;
  int64_t n_;
  Params params_;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (ctx.inputs.size() != 1 || !ctx.inputs[0].present()) return "takes one input";
  const ir::Node& node = *ctx.node;
  if (node.op == OpKind::Gelu) {
    const std::string approx = node.attr_string("approximate", "none");
    if (approx != "none" && approx != "tanh") return cat("approximate='", approx, "' is not defined");
  }
  params_of(node);  // throws on a wrongly typed attribute; guarded turns that into a reason
  // Probe the dispatch with an empty tensor: it says whether this (op, dtype) exists.
  if (!run(node.op, ctx.inputs[0].dtype, params_of(node), nullptr, nullptr, 0))
    return cat("dtype ", dtype_name(ctx.inputs[0].dtype), " not supported");
  if (ctx.outputs[0].shape != ctx.inputs[0].shape) return "output shape differs from the input's";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<UnaryKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> unary_entries() {
  std::vector<KernelEntry> r;
  for (OpKind op :
       {OpKind::Abs, OpKind::Neg, OpKind::Exp, OpKind::Log, OpKind::Sqrt, OpKind::Reciprocal, OpKind::Floor,
        OpKind::Ceil, OpKind::Round, OpKind::Sign, OpKind::Sin, OpKind::Cos, OpKind::Tan, OpKind::Asin, OpKind::Acos,
        OpKind::Atan, OpKind::Sinh, OpKind::Cosh, OpKind::Asinh, OpKind::Acosh, OpKind::Atanh, OpKind::Erf,
        OpKind::Not, OpKind::IsNaN, OpKind::IsInf, OpKind::Relu, OpKind::LeakyRelu, OpKind::Elu, OpKind::Selu,
        OpKind::Celu, OpKind::Sigmoid, OpKind::HardSigmoid, OpKind::HardSwish, OpKind::Tanh, OpKind::Softplus,
        OpKind::Softsign, OpKind::Mish, OpKind::Gelu, OpKind::ThresholdedRelu, OpKind::Shrink})
    r.push_back({"ref_unary", op, guarded<why_not>, create});
  return r;
}

}  // namespace octet::rt::ref
