// Reference MaxPool and GlobalMaxPool on uint8/int8 tensors. fold_qdq runs DequantizeLinear -> MaxPool ->
// QuantizeLinear with one quantization as MaxPool on the quantized tensor (the max commutes
// with a monotonic quantization, so this is exact); this kernel is its oracle and fallback.
#include <algorithm>
#include <exception>
#include <limits>

#include "octet/error.hpp"
#include "runtime/ref/q_attrs.hpp"
#include "runtime/ref/q_kernels.hpp"
#include "runtime/ref/q_window.hpp"

namespace octet::rt::ref {
namespace {

template <class T>
void max_pool(const q::Window& w, const T* x, T* y) {
  const int64_t planes = w.n * w.c;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < planes; ++p) {
    const T* xp = x + p * w.in_size();
    T* yp = y + p * w.out_size();
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          T best = std::numeric_limits<T>::lowest();  // padding never wins
          const int64_t o[3] = {od, oh, ow};
          int64_t start[3];
          for (int d = 0; d < 3; ++d) start[d] = o[d] * w.stride[d] - w.pad_begin[d];
          for (int64_t kd = 0; kd < w.kernel[0]; ++kd) {
            const int64_t id = start[0] + kd * w.dilation[0];
            if (id < 0 || id >= w.in[0]) continue;
            for (int64_t kh = 0; kh < w.kernel[1]; ++kh) {
              const int64_t ih = start[1] + kh * w.dilation[1];
              if (ih < 0 || ih >= w.in[1]) continue;
              for (int64_t kw = 0; kw < w.kernel[2]; ++kw) {
                const int64_t iw = start[2] + kw * w.dilation[2];
                if (iw < 0 || iw >= w.in[2]) continue;
                best = std::max(best, xp[(id * w.in[1] + ih) * w.in[2] + iw]);
              }
            }
          }
          yp[(od * w.out[1] + oh) * w.out[2] + ow] = best;
        }
  }
}

// GlobalMaxPool is a MaxPool whose window is the whole plane.
Shape default_kernel(const KernelContext& ctx) {
  if (ctx.node->op != ir::OpKind::GlobalMaxPool) return {};
  const Shape& x = ctx.inputs[0].shape;
  return Shape(x.begin() + 2, x.end());
}

class QMaxPoolKernel final : public Kernel {
 public:
  explicit QMaxPoolKernel(const KernelContext& ctx)
      : window_(q::make_window(*ctx.node, ctx.inputs[0].shape, ctx.outputs[0].shape, default_kernel(ctx))),
        dtype_(ctx.inputs[0].dtype) {}

  void execute(const ExecArgs& args) override {
    if (dtype_ == DType::kUInt8)
      max_pool(window_, static_cast<const uint8_t*>(args.src[0]), static_cast<uint8_t*>(args.dst[0]));
    else
      max_pool(window_, static_cast<const int8_t*>(args.src[0]), static_cast<int8_t*>(args.dst[0]));
  }

 private:
  q::Window window_;
  DType dtype_;
};

std::string check(const KernelContext& ctx) {
  const DType x = ctx.inputs[0].dtype;
  if (x != DType::kUInt8 && x != DType::kInt8) return "only for uint8/int8 tensors";
  if (ctx.outputs.size() > 1 && ctx.outputs[1].present()) return "the Indices output is not computed for int8";
  if (ctx.inputs[0].shape.size() < 3 || ctx.inputs[0].shape.size() > 5) return "X needs rank 3 to 5";
  if (ctx.outputs[0].dtype != x) return "output dtype differs from input dtype";
  q::make_window(*ctx.node, ctx.inputs[0].shape, ctx.outputs[0].shape, default_kernel(ctx));
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
  q::plain_layouts(ctx);
  return std::make_unique<QMaxPoolKernel>(ctx);
}

}  // namespace

std::vector<KernelEntry> qmaxpool_entries() {
  return {{"ref_qmaxpool", ir::OpKind::MaxPool, why_not, create}, {"ref_qmaxpool", ir::OpKind::GlobalMaxPool, why_not, create}};
}

}  // namespace octet::rt::ref
