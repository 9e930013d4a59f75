// Cast and CastLike between every dtype octet holds. The target is the output's dtype (the
// loader has already mapped float16 targets to float32). Float to integer truncates toward
// zero, anything to bool tests != 0, as ONNX specifies; NaN and out-of-range floats, which
// ONNX leaves undefined, saturate (core/int_math.hpp).
#include <type_traits>

#include "core/int_math.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

template <class S, class D>
void convert(const S* src, D* dst, int64_t n, bool dst_bool) {
  parallel_range(n, [&](int64_t begin, int64_t end) {
    if (dst_bool) {
      for (int64_t i = begin; i < end; ++i) dst[i] = static_cast<D>(src[i] != S(0));
    } else {
      for (int64_t i = begin; i < end; ++i) dst[i] = cast_value<D>(src[i]);
    }
  });
}

class CastKernel final : public Kernel {
 public:
  explicit CastKernel(const KernelContext& ctx)
      : src_(ctx.inputs[0].dtype), dst_(ctx.outputs[0].dtype), n_(ctx.inputs[0].numel()) {}
  void execute(const ExecArgs& args) override {
    if (src_ == dst_) {
      std::memcpy(args.dst[0], args.src[0], static_cast<size_t>(n_) * dtype_size(src_));
      return;
    }
    if (src_ == DType::kFloat16 || dst_ == DType::kFloat16) {
      // Through float32, one element at a time: rare (the loader maps float16 to float32).
      for (int64_t i = 0; i < n_; ++i) {
        const float v = src_ == DType::kFloat16 ? half_to_float(static_cast<const uint16_t*>(args.src[0])[i])
                                                : static_cast<float>(read_number(src_, args.src[0], i));
        if (dst_ == DType::kFloat16) {
          static_cast<uint16_t*>(args.dst[0])[i] = float_to_half(v);
        } else {
          visit_dtype(dst_, [&](auto tag) {
            using D = decltype(tag);
            static_cast<D*>(args.dst[0])[i] = dst_ == DType::kBool ? static_cast<D>(v != 0) : cast_value<D>(v);
          });
        }
      }
      return;
    }
    visit_dtype(src_, [&](auto s) {
      using S = decltype(s);
      visit_dtype(dst_, [&](auto d) {
        using D = decltype(d);
        convert(static_cast<const S*>(args.src[0]), static_cast<D*>(args.dst[0]), n_, dst_ == DType::kBool);
      });
    });
  }

 private:
  DType src_, dst_;
  int64_t n_;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0)) return "input 0 is missing";
  if (ctx.outputs[0].dtype == DType::kUndefined) return "target dtype is not one octet holds";
  if (ctx.inputs[0].shape != ctx.outputs[0].shape) return "output shape differs from the input's";
  if (ctx.node->op == ir::OpKind::CastLike && (!input_present(ctx, 1) || ctx.inputs[1].dtype != ctx.outputs[0].dtype))
    return "CastLike's output dtype must be its second input's";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<CastKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> cast_entries() {
  return {{"ref_cast", ir::OpKind::Cast, guarded<why_not>, create},
          {"ref_cast", ir::OpKind::CastLike, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
