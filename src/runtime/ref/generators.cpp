// Ops that make a tensor from attributes and scalars: Constant (the loader folds most into
// constants), ConstantOfShape, Range and EyeLike. Output shapes are fixed at compile time;
// Range reads its start and delta on each run as they may be inputs.
#include "core/int_math.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

// Fills the output with `value`'s bytes repeated (Constant, ConstantOfShape).
class FillKernel final : public Kernel {
 public:
  FillKernel(std::vector<uint8_t> pattern, size_t bytes) : pattern_(std::move(pattern)), bytes_(bytes) {}
  void execute(const ExecArgs& args) override {
    auto* y = static_cast<uint8_t*>(args.dst[0]);
    if (pattern_.size() == bytes_) { std::memcpy(y, pattern_.data(), bytes_); return; }
    for (size_t i = 0; i + pattern_.size() <= bytes_; i += pattern_.size()) std::memcpy(y + i, pattern_.data(), pattern_.size());
  }

 private:
  std::vector<uint8_t> pattern_;
  size_t bytes_;
};

const Tensor* constant_value(const KernelContext& ctx) {
  const ir::Attribute* a = ctx.attr("value");
  return a && a->kind == ir::Attribute::Kind::kTensor ? a->tensor.get() : nullptr;
}

std::string why_not_constant(const KernelContext& ctx) {
  const Tensor* t = constant_value(ctx);
  if (!t) return "only the tensor 'value' attribute is supported here (the loader folds the others)";
  if (t->dtype != ctx.outputs[0].dtype || t->shape != ctx.outputs[0].shape) return "value does not match the output";
  return "";
}

std::unique_ptr<Kernel> create_constant(KernelContext& ctx) {
  const Tensor* t = constant_value(ctx);
  return std::make_unique<FillKernel>(t->bytes, t->bytes.size());
}

std::string why_not_constant_of_shape(const KernelContext& ctx) {
  if (ctx.outputs[0].layout != Layout::kPlain) return "writes plain";
  const Tensor* t = constant_value(ctx);
  if (t && (t->numel() != 1 || t->dtype != ctx.outputs[0].dtype)) return "value must be one element of the output dtype";
  if (!t && ctx.outputs[0].dtype != DType::kFloat32) return "without a value the output is float32";
  return "";
}

std::unique_ptr<Kernel> create_constant_of_shape(KernelContext& ctx) {
  const Tensor* t = constant_value(ctx);
  std::vector<uint8_t> pattern = t ? t->bytes : std::vector<uint8_t>(4, 0);
  return std::make_unique<FillKernel>(pattern, ctx.outputs[0].bytes());
}

class RangeKernel final : public Kernel {
 public:
  explicit RangeKernel(const KernelContext& ctx) : dtype_(ctx.outputs[0].dtype), n_(ctx.outputs[0].numel()) {}
  void execute(const ExecArgs& args) override {
    visit_dtype(dtype_, [&](auto tag) {
      using T = decltype(tag);
      const T start = static_cast<const T*>(args.src[0])[0], delta = static_cast<const T*>(args.src[2])[0];
      T* y = static_cast<T*>(args.dst[0]);
      // Integer Range wraps past the type's end instead of overflowing (core/int_math.hpp).
      for (int64_t i = 0; i < n_; ++i) y[i] = wrap_add(start, wrap_mul(static_cast<T>(i), delta));
    });
  }

 private:
  DType dtype_;
  int64_t n_;
};

std::string why_not_range(const KernelContext& ctx) {
  if (ctx.inputs.size() != 3) return "takes start, limit and delta";
  for (size_t i = 0; i < 3; ++i)
    if (!input_present(ctx, i) || ctx.inputs[i].dtype != ctx.outputs[0].dtype || ctx.inputs[i].numel() != 1)
      return "start, limit and delta must be scalars of the output dtype";
  const DType d = ctx.outputs[0].dtype;
  if (d != DType::kFloat32 && d != DType::kFloat64 && d != DType::kInt16 && d != DType::kInt32 && d != DType::kInt64)
    return cat("dtype ", dtype_name(d), " not supported");
  return "";
}

std::unique_ptr<Kernel> create_range(KernelContext& ctx) { return std::make_unique<RangeKernel>(ctx); }

class EyeLikeKernel final : public Kernel {
 public:
  explicit EyeLikeKernel(const KernelContext& ctx)
      : dtype_(ctx.outputs[0].dtype), rows_(ctx.outputs[0].shape[0]), cols_(ctx.outputs[0].shape[1]),
        k_(ctx.node->attr_int("k", 0)) {}
  void execute(const ExecArgs& args) override {
    std::memset(args.dst[0], 0, static_cast<size_t>(rows_ * cols_) * dtype_size(dtype_));
    visit_dtype(dtype_, [&](auto tag) {
      using T = decltype(tag);
      T* y = static_cast<T*>(args.dst[0]);
      for (int64_t i = 0; i < rows_; ++i)
        if (i + k_ >= 0 && i + k_ < cols_) y[i * cols_ + i + k_] = T(1);
    });
  }

 private:
  DType dtype_;
  int64_t rows_, cols_, k_;
};

std::string why_not_eye_like(const KernelContext& ctx) {
  if (ctx.outputs[0].shape.size() != 2) return "needs a 2-D shape";
  if (ctx.outputs[0].layout != Layout::kPlain) return "writes plain";
  if (ctx.outputs[0].dtype == DType::kFloat16 || !ctx.outputs[0].present()) return "dtype not supported";
  return "";
}

std::unique_ptr<Kernel> create_eye_like(KernelContext& ctx) { return std::make_unique<EyeLikeKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> generator_entries() {
  return {{"ref_constant", OpKind::Constant, guarded<why_not_constant>, create_constant},
          {"ref_constant_of_shape", OpKind::ConstantOfShape, guarded<why_not_constant_of_shape>, create_constant_of_shape},
          {"ref_range", OpKind::Range, guarded<why_not_range>, create_range},
          {"ref_eye_like", OpKind::EyeLike, guarded<why_not_eye_like>, create_eye_like}};
}

}  // namespace octet::rt::ref
