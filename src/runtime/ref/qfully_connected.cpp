// Reference QFullyConnected: int32 dot products of (X - zero_point_x) with int8 columns of W,
// then the shared float32 requantization. Oracle and fallback of the oneDNN INT8 matmul.
#include <exception>
#include <vector>

#include "octet/error.hpp"
#include "runtime/ref/q_attrs.hpp"
#include "runtime/ref/q_kernels.hpp"

namespace octet::rt::ref {
namespace {

class QFullyConnectedKernel final : public Kernel {
 public:
  explicit QFullyConnectedKernel(const KernelContext& ctx)
      : attrs_(q::read_quant_attrs(*ctx.node)), dtype_x_(ctx.inputs[0].dtype) {
    const Tensor& w = *ctx.constants[1];
    k_ = w.shape[0];
    n_ = w.shape[1];
    rows_ = ctx.inputs[0].numel() / k_;
    requant_ = q::Requant::make(attrs_, n_);
    // Columns contiguous: each output element is one dot product over a row of wt_.
    wt_.resize(static_cast<size_t>(k_ * n_));
    for (int64_t k = 0; k < k_; ++k)
      for (int64_t n = 0; n < n_; ++n) wt_[static_cast<size_t>(n * k_ + k)] = w.data<int8_t>()[k * n_ + n];
    bias_.assign(static_cast<size_t>(n_), 0.0f);
    bias_int_.assign(static_cast<size_t>(n_), 0);
    const Tensor* b = ctx.inputs.size() > 2 ? ctx.constants[2] : nullptr;
    bias_is_int_ = !b || b->dtype == DType::kInt32;
    for (int64_t n = 0; b && n < n_; ++n) {
      if (bias_is_int_) bias_int_[static_cast<size_t>(n)] = b->data<int32_t>()[n];
      else bias_[static_cast<size_t>(n)] = b->data<float>()[n];
    }
  }

  void execute(const ExecArgs& args) override {
    const void* src = args.src[0];
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t r = 0; r < rows_; ++r)
      for (int64_t n = 0; n < n_; ++n) {
        const int8_t* col = wt_.data() + n * k_;
        int32_t acc = 0;
        for (int64_t k = 0; k < k_; ++k) acc += (q::load_q(src, dtype_x_, r * k_ + k) - attrs_.zero_point_x) * col[k];
        const float acc_f = bias_is_int_ ? static_cast<float>(acc + bias_int_[static_cast<size_t>(n)])
                                         : static_cast<float>(acc) + bias_[static_cast<size_t>(n)];
        requant_.store(args.dst[0], r * n_ + n, acc_f * requant_.scale_acc[static_cast<size_t>(n)]);
      }
  }

 private:
  q::QuantAttrs attrs_;
  q::Requant requant_;
  DType dtype_x_;
  int64_t k_ = 0, n_ = 0, rows_ = 0;
  std::vector<int8_t> wt_;
  std::vector<float> bias_;
  std::vector<int32_t> bias_int_;
  bool bias_is_int_ = true;
};

std::string check(const KernelContext& ctx) {
  if (ctx.inputs.size() < 2) return "needs X and W";
  const DType x = ctx.inputs[0].dtype;
  if (x != DType::kUInt8 && x != DType::kInt8) return cat("X is ", dtype_name(x), ", not uint8/int8");
  if (ctx.inputs[0].shape.size() < 2) return "X needs rank >= 2";
  const Tensor* w = ctx.constants[1];
  if (!w || w->dtype != DType::kInt8 || w->shape.size() != 2) return "W must be a 2-D int8 constant";
  if (ctx.inputs[0].shape.back() != w->shape[0]) return "X's last dim differs from W's rows";
  const q::QuantAttrs a = q::read_quant_attrs(*ctx.node);
  const int64_t n = w->shape[1];
  if (a.scale_w.size() != 1 && static_cast<int64_t>(a.scale_w.size()) != n)
    return cat("scale_w has ", a.scale_w.size(), " values for ", n, " columns");
  if (ctx.inputs.size() > 2 && ctx.inputs[2].present()) {
    const Tensor* b = ctx.constants[2];
    if (!b || (b->dtype != DType::kInt32 && b->dtype != DType::kFloat32) || b->numel() != n)
      return "B must be an int32 or float32 constant with one value per column";
  }
  if (ctx.outputs[0].dtype != a.dtype_y) return "output dtype differs from dtype_y";
  return "";
}

std::string why_not(const KernelContext& ctx) { return qfully_connected_why_not(ctx); }

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  q::plain_layouts(ctx);
  return std::make_unique<QFullyConnectedKernel>(ctx);
}

}  // namespace

std::string qfully_connected_why_not(const KernelContext& ctx) {
  try {
    return check(ctx);
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::vector<KernelEntry> qfully_connected_entries() {
  return {{"ref_qfully_connected", ir::OpKind::QFullyConnected, why_not, create}};
}

}  // namespace octet::rt::ref
