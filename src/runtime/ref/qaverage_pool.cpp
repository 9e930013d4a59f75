// Reference QAveragePool (also GlobalAveragePool via "global"): the exact integer sum of
// (X - zero_point_x) over each window, divided by the window's count, then requantized.
// Oracle and fallback of the oneDNN INT8 average pooling.
#include <algorithm>
#include <exception>

#include "octet/error.hpp"
#include "runtime/ref/q_attrs.hpp"
#include "runtime/ref/q_kernels.hpp"
#include "runtime/ref/q_window.hpp"

namespace octet::rt::ref {
namespace {

// The window of a global pool: the whole spatial extent.
q::Window global_window(const KernelContext& ctx) {
  const Shape& x = ctx.inputs[0].shape;
  q::Window w;
  w.spatial = static_cast<int>(x.size()) - 2;
  w.n = x[0];
  w.c = w.m = x[1];
  for (int i = 0; i < w.spatial; ++i) {
    const size_t d = static_cast<size_t>(3 - w.spatial + i);
    w.in[d] = w.kernel[d] = x[static_cast<size_t>(2 + i)];
    w.out[d] = 1;
  }
  return w;
}

q::Window window_of(const KernelContext& ctx) {
  if (ctx.node->attr_int("global", 0) != 0) return global_window(ctx);
  return q::make_window(*ctx.node, ctx.inputs[0].shape, ctx.outputs[0].shape, {});
}

class QAveragePoolKernel final : public Kernel {
 public:
  explicit QAveragePoolKernel(const KernelContext& ctx)
      : attrs_(q::read_quant_attrs(*ctx.node)),
        window_(window_of(ctx)),
        include_pad_(ctx.node->attr_int("count_include_pad", 0) != 0),
        dtype_x_(ctx.inputs[0].dtype) {
    q::QuantAttrs unit = attrs_;
    unit.scale_w = {1.0f};
    requant_ = q::Requant::make(unit, 1);
  }

  void execute(const ExecArgs& args) override {
    const q::Window& w = window_;
    const int64_t planes = w.n * w.c;
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < planes; ++p) {
      const int64_t x_base = p * w.in_size(), y_base = p * w.out_size();
      for (int64_t od = 0; od < w.out[0]; ++od)
        for (int64_t oh = 0; oh < w.out[1]; ++oh)
          for (int64_t ow = 0; ow < w.out[2]; ++ow) {
            const int64_t o[3] = {od, oh, ow};
            int64_t lo[3], hi[3], count = 1, padded_count = 1;
            for (int d = 0; d < 3; ++d) {
              const int64_t start = o[d] * w.stride[d] - w.pad_begin[d];
              const int64_t end = std::min(start + w.kernel[d], w.in[d] + w.pad_end[d]);
              padded_count *= end - start;
              lo[d] = std::max<int64_t>(start, 0);
              hi[d] = std::min(end, w.in[d]);
              count *= std::max<int64_t>(0, hi[d] - lo[d]);
            }
            int32_t sum = 0;
            for (int64_t id = lo[0]; id < hi[0]; ++id)
              for (int64_t ih = lo[1]; ih < hi[1]; ++ih)
                for (int64_t iw = lo[2]; iw < hi[2]; ++iw)
                  sum += q::load_q(args.src[0], dtype_x_, x_base + (id * w.in[1] + ih) * w.in[2] + iw) -
                         attrs_.zero_point_x;
            const int64_t divisor = include_pad_ ? padded_count : count;
            const float mean = divisor > 0 ? static_cast<float>(sum) / static_cast<float>(divisor) : 0.0f;
            requant_.store(args.dst[0], y_base + (od * w.out[1] + oh) * w.out[2] + ow, mean * requant_.scale_acc[0]);
          }
    }
  }

 private:
  q::QuantAttrs attrs_;
  q::Window window_;
  bool include_pad_;
  DType dtype_x_;
  q::Requant requant_;
};

std::string check(const KernelContext& ctx) {
  const DType x = ctx.inputs[0].dtype;
  if (x != DType::kUInt8 && x != DType::kInt8) return cat("X is ", dtype_name(x), ", not uint8/int8");
  if (ctx.inputs[0].shape.size() < 3 || ctx.inputs[0].shape.size() > 5) return "X needs rank 3 to 5";
  const q::QuantAttrs a = q::read_quant_attrs(*ctx.node);
  if (!a.activation.none()) return "no activation on a pool";
  if (ctx.outputs[0].dtype != a.dtype_y) return "output dtype differs from dtype_y";
  const q::Window w = window_of(ctx);
  for (int d = 0; d < 3; ++d)
    if (w.dilation[static_cast<size_t>(d)] != 1) return "dilated average pooling";
  return "";
}

std::string why_not(const KernelContext& ctx) { return qaverage_pool_why_not(ctx); }

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  q::plain_layouts(ctx);
  return std::make_unique<QAveragePoolKernel>(ctx);
}

}  // namespace

std::string qaverage_pool_why_not(const KernelContext& ctx) {
  try {
    return check(ctx);
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::vector<KernelEntry> qaverage_pool_entries() {
  return {{"ref_qaverage_pool", ir::OpKind::QAveragePool, why_not, create}};
}

}  // namespace octet::rt::ref
