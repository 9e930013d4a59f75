// Reference QConv: the exact integer convolution (int32 accumulation of (X - zero_point_x) * W)
// followed by the shared float32 requantization (q_attrs.hpp). The oracle the oneDNN INT8
// convolution is checked against, bit for bit, and the fallback where oneDNN declines.
#include <exception>
#include <vector>

#include "octet/error.hpp"
#include "runtime/ref/q_attrs.hpp"
#include "runtime/ref/q_kernels.hpp"
#include "runtime/ref/q_window.hpp"

namespace octet::rt::ref {
namespace {

class QConvKernel final : public Kernel {
 public:
  QConvKernel(const KernelContext& ctx)
      : attrs_(q::read_quant_attrs(*ctx.node)),
        window_(q::make_window(*ctx.node, ctx.inputs[0].shape, ctx.outputs[0].shape,
                               Shape(ctx.inputs[1].shape.begin() + 2, ctx.inputs[1].shape.end()))),
        requant_(q::Requant::make(attrs_, window_.m)),
        group_(ctx.node->attr_int("group", 1)),
        dtype_x_(ctx.inputs[0].dtype),
        dtype_sum_(ctx.inputs.size() > 3 ? ctx.inputs[3].dtype : DType::kUndefined) {
    const Tensor& w = *ctx.constants[1];
    weights_.assign(w.data<int8_t>(), w.data<int8_t>() + w.numel());
    bias_.assign(static_cast<size_t>(window_.m), 0.0f);
    bias_int_.assign(static_cast<size_t>(window_.m), 0);
    if (const Tensor* b = ctx.inputs.size() > 2 ? ctx.constants[2] : nullptr) {
      bias_is_int_ = b->dtype == DType::kInt32;
      for (int64_t m = 0; m < window_.m; ++m) {
        if (bias_is_int_) bias_int_[static_cast<size_t>(m)] = b->data<int32_t>()[m];
        else bias_[static_cast<size_t>(m)] = b->data<float>()[m];
      }
    } else {
      bias_is_int_ = true;
    }
  }

  void execute(const ExecArgs& args) override {
    const q::Window& w = window_;
    const int64_t c_per_group = w.c / group_, m_per_group = w.m / group_;
    const int64_t ksize = w.kernel_size(), out_size = w.out_size();
    const void* src = args.src[0];
    const void* sum = dtype_sum_ == DType::kUndefined ? nullptr : args.src[3];
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < w.n; ++n)
      for (int64_t m = 0; m < w.m; ++m) {
        const int64_t g = m / m_per_group;
        const int8_t* wm = weights_.data() + m * c_per_group * ksize;
        for (int64_t od = 0; od < w.out[0]; ++od)
          for (int64_t oh = 0; oh < w.out[1]; ++oh)
            for (int64_t ow = 0; ow < w.out[2]; ++ow) {
              int32_t acc = 0;
              for (int64_t ci = 0; ci < c_per_group; ++ci) {
                const int64_t c = g * c_per_group + ci;
                const int64_t x_base = (n * w.c + c) * w.in_size();
                for (int64_t kd = 0; kd < w.kernel[0]; ++kd) {
                  const int64_t id = od * w.stride[0] - w.pad_begin[0] + kd * w.dilation[0];
                  if (id < 0 || id >= w.in[0]) continue;
                  for (int64_t kh = 0; kh < w.kernel[1]; ++kh) {
                    const int64_t ih = oh * w.stride[1] - w.pad_begin[1] + kh * w.dilation[1];
                    if (ih < 0 || ih >= w.in[1]) continue;
                    for (int64_t kw = 0; kw < w.kernel[2]; ++kw) {
                      const int64_t iw = ow * w.stride[2] - w.pad_begin[2] + kw * w.dilation[2];
                      if (iw < 0 || iw >= w.in[2]) continue;
                      const int32_t xq = q::load_q(src, dtype_x_, x_base + (id * w.in[1] + ih) * w.in[2] + iw);
                      acc += (xq - attrs_.zero_point_x) *
                             wm[((ci * w.kernel[0] + kd) * w.kernel[1] + kh) * w.kernel[2] + kw];
                    }
                  }
                }
              }
              const int64_t o = (n * w.m + m) * out_size + (od * w.out[1] + oh) * w.out[2] + ow;
              // oneDNN adds the bias to the accumulator before the output scale.
              const float acc_f = bias_is_int_ ? static_cast<float>(acc + bias_int_[static_cast<size_t>(m)])
                                               : static_cast<float>(acc) + bias_[static_cast<size_t>(m)];
              float v = requant_.clip_acc(acc_f * requant_.scale_acc[static_cast<size_t>(m)]);
              if (sum) {
                const float s = dtype_sum_ == DType::kFloat32
                                    ? static_cast<const float*>(sum)[o]
                                    : static_cast<float>(q::load_q(sum, dtype_sum_, o) - requant_.zero_point_sum);
                v += requant_.scale_sum * s;
              }
              requant_.store(args.dst[0], o, v);
            }
      }
  }

 private:
  q::QuantAttrs attrs_;
  q::Window window_;
  q::Requant requant_;
  int64_t group_;
  DType dtype_x_, dtype_sum_;
  std::vector<int8_t> weights_;
  std::vector<float> bias_;
  std::vector<int32_t> bias_int_;
  bool bias_is_int_ = true;
};

std::string check(const KernelContext& ctx) {
  if (ctx.inputs.size() < 2) return "needs X and W";
  const DType x = ctx.inputs[0].dtype;
  if (x != DType::kUInt8 && x != DType::kInt8) return cat("X is ", dtype_name(x), ", not uint8/int8");
  const Tensor* w = ctx.constants[1];
  if (!w || w->dtype != DType::kInt8) return "W must be an int8 constant";
  if (w->shape.size() != ctx.inputs[0].shape.size()) return "W and X ranks differ";
  const q::QuantAttrs a = q::read_quant_attrs(*ctx.node);
  const int64_t group = ctx.node->attr_int("group", 1);
  const int64_t c = ctx.inputs[0].shape[1], m = w->shape[0];
  if (group <= 0 || c % group != 0 || m % group != 0 || w->shape[1] * group != c)
    return cat("group ", group, " does not divide channels ", c, " -> ", m);
  if (ctx.outputs[0].shape.size() < 2 || ctx.outputs[0].shape[1] != m) return "Y's channels differ from W's";
  if (a.scale_w.size() != 1 && static_cast<int64_t>(a.scale_w.size()) != m)
    return cat("scale_w has ", a.scale_w.size(), " values for ", m, " output channels");
  if (ctx.inputs.size() > 2 && ctx.inputs[2].present()) {
    const Tensor* b = ctx.constants[2];
    if (!b || (b->dtype != DType::kInt32 && b->dtype != DType::kFloat32) || b->numel() != m)
      return "B must be an int32 or float32 constant with one value per output channel";
  }
  if (ctx.inputs.size() > 3 && ctx.inputs[3].present()) {
    const TensorDesc& s = ctx.inputs[3];
    if (s.shape != ctx.outputs[0].shape) return "Sum's shape differs from Y's";
    const bool ok = a.quantized_y() ? (s.dtype == DType::kUInt8 || s.dtype == DType::kInt8) : s.dtype == DType::kFloat32;
    if (!ok) return cat("Sum is ", dtype_name(s.dtype), " for a ", dtype_name(a.dtype_y), " output");
  }
  if (ctx.outputs[0].dtype != a.dtype_y) return "output dtype differs from dtype_y";
  q::make_window(*ctx.node, ctx.inputs[0].shape, ctx.outputs[0].shape,
                 Shape(w->shape.begin() + 2, w->shape.end()));
  return "";
}

std::string why_not(const KernelContext& ctx) { return qconv_why_not(ctx); }

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  q::plain_layouts(ctx);
  return std::make_unique<QConvKernel>(ctx);
}

}  // namespace

std::string qconv_why_not(const KernelContext& ctx) {
  try {
    return check(ctx);
  } catch (const std::exception& e) {  // a malformed attribute is a reason, not a crash
    return e.what();
  }
}

std::vector<KernelEntry> qconv_entries() { return {{"ref_qconv", ir::OpKind::QConv, why_not, create}}; }

}  // namespace octet::rt::ref
