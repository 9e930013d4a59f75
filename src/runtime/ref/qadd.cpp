// QAdd: the residual Add of two quantized tensors that fold_qdq could not fuse into a QConv.
// One elementwise loop serves as both the reference and the fast path: the compiler
// vectorizes it, and since both inputs and the output share one layout it runs on whatever
// layout input 0 arrives in (plain or NHWC), so INT8 activations need no reorder around it.
#include <algorithm>
#include <exception>

#include "octet/error.hpp"
#include "runtime/ref/q_attrs.hpp"
#include "runtime/ref/q_kernels.hpp"

namespace octet::rt::ref {
namespace {

class QAddKernel final : public Kernel {
 public:
  explicit QAddKernel(const KernelContext& ctx)
      : n_(ctx.outputs[0].numel()), dtype_a_(ctx.inputs[0].dtype), dtype_b_(ctx.inputs[1].dtype) {
    q::QuantAttrs a = q::read_quant_attrs(*ctx.node);
    // The inputs' own scales multiply each operand; the unit scale_acc left then says which
    // units the activation runs in (output units when it allows, as QConv's).
    a.scale_x = 1.0f;
    a.scale_w = {1.0f};
    requant_ = q::Requant::make(a, 1);
    scale_a_ = a.scale_a * requant_.scale_acc[0];
    scale_b_ = a.scale_b * requant_.scale_acc[0];
    zero_point_a_ = a.zero_point_a;
    zero_point_b_ = a.zero_point_b;
  }

  void execute(const ExecArgs& args) override {
    const void* a = args.src[0];
    const void* b = args.src[1];
    void* y = args.dst[0];
    parallel_for(n_, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const float v = static_cast<float>(q::load_q(a, dtype_a_, i) - zero_point_a_) * scale_a_ +
                        static_cast<float>(q::load_q(b, dtype_b_, i) - zero_point_b_) * scale_b_;
        requant_.store(y, i, v);
      }
    });
  }

 private:
  template <class Body>
  static void parallel_for(int64_t n, Body body) {
    constexpr int64_t kChunk = 1 << 14;
#pragma omp parallel for schedule(static) if (n > kChunk)
    for (int64_t begin = 0; begin < n; begin += kChunk) body(begin, std::min(n, begin + kChunk));
  }

  int64_t n_;
  DType dtype_a_, dtype_b_;
  q::Requant requant_;
  float scale_a_ = 1.0f, scale_b_ = 1.0f;
  int32_t zero_point_a_ = 0, zero_point_b_ = 0;
};

std::string check(const KernelContext& ctx) {
  if (ctx.inputs.size() != 2) return "needs two inputs";
  for (size_t i = 0; i < 2; ++i)
    if (ctx.inputs[i].dtype != DType::kUInt8 && ctx.inputs[i].dtype != DType::kInt8)
      return cat("input ", i, " is ", dtype_name(ctx.inputs[i].dtype), ", not uint8/int8");
  if (ctx.inputs[0].shape != ctx.inputs[1].shape || ctx.inputs[0].shape != ctx.outputs[0].shape)
    return "inputs and output must have one shape";
  const Layout layout = ctx.inputs[0].layout;
  if (layout == Layout::kNChw8c) return "blocked layouts carry padding channels";
  if (layout == Layout::kNhwc && ctx.inputs[0].shape.size() < 3) return "NHWC needs rank 3 or more";
  const q::QuantAttrs a = q::read_quant_attrs(*ctx.node);
  if (ctx.outputs[0].dtype != a.dtype_y) return "output dtype differs from dtype_y";
  return "";
}

std::string why_not(const KernelContext& ctx) {
  try {
    return check(ctx);
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  // Both inputs and the output in input 0's layout: elementwise work is layout-blind.
  ctx.inputs[1].layout = ctx.inputs[0].layout;
  ctx.outputs[0].layout = ctx.inputs[0].layout;
  return std::make_unique<QAddKernel>(ctx);
}

}  // namespace

std::vector<KernelEntry> qadd_entries() { return {{"ref_qadd", ir::OpKind::QAdd, why_not, create}}; }

}  // namespace octet::rt::ref
