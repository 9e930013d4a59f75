// MaxPool (float32, int8, uint8; optional Indices with storage_order), AveragePool (float32,
// count_include_pad) and the global pools, 1-D to 3-D. The output size is the compiled one,
// so ceil_mode needs no special case beyond clipping windows to the padded input.
#include <limits>
#include <type_traits>

#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"
#include "runtime/ref/window.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

bool is_global(OpKind op) { return op == OpKind::GlobalAveragePool || op == OpKind::GlobalMaxPool; }
bool is_max(OpKind op) { return op == OpKind::MaxPool || op == OpKind::GlobalMaxPool; }

std::string make_window(const KernelContext& ctx, Window* w) {
  const Shape& x = ctx.inputs[0].shape;
  if (is_global(ctx.node->op)) {
    ir::Node plain;  // a window covering every spatial dim
    plain.op = ctx.node->op;
    return Window::make(plain, x, ctx.outputs[0].shape, std::vector<int64_t>(x.begin() + 2, x.end()), false, w);
  }
  return Window::make(*ctx.node, x, ctx.outputs[0].shape, ctx.node->attr_ints("kernel_shape", {}), false, w);
}

class PoolKernel final : public Kernel {
 public:
  explicit PoolKernel(const KernelContext& ctx)
      : max_(is_max(ctx.node->op)), dtype_(ctx.inputs[0].dtype),
        include_pad_(ctx.node->attr_int("count_include_pad", 0) != 0),
        has_indices_(ctx.outputs.size() > 1 && ctx.outputs[1].present()),
        column_major_(ctx.node->attr_int("storage_order", 0) != 0) {
    make_window(ctx, &w_);
    rows_ = ctx.inputs[0].shape[0] * ctx.inputs[0].shape[1];
  }

  void execute(const ExecArgs& args) override {
    visit_dtype(dtype_, [&](auto tag) {
      using T = decltype(tag);
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t>)
        run(static_cast<const T*>(args.src[0]), static_cast<T*>(args.dst[0]),
            has_indices_ ? static_cast<int64_t*>(args.dst[1]) : nullptr);
    });
  }

 private:
  template <class T>
  void run(const T* x, T* y, int64_t* indices) const {
    const Window& w = w_;
    const int64_t s_in = w.in_size(), s_out = w.out_size();
#pragma omp parallel for schedule(static) if (rows_ * s_out * w.k_size() >= kParallelMin)
    for (int64_t r = 0; r < rows_; ++r) {
      const T* xr = x + r * s_in;
      for (int64_t od = 0; od < w.out[0]; ++od)
        for (int64_t oh = 0; oh < w.out[1]; ++oh)
          for (int64_t ow = 0; ow < w.out[2]; ++ow) {
            const int64_t o = (od * w.out[1] + oh) * w.out[2] + ow;
            const int64_t d0 = od * w.stride[0] - w.pad[0], h0 = oh * w.stride[1] - w.pad[1],
                          w0 = ow * w.stride[2] - w.pad[2];
            float sum = 0;
            int64_t count = 0, padded = 0;
            T best = std::numeric_limits<T>::lowest();
            int64_t best_at = -1;
            for (int64_t kd = 0; kd < w.k[0]; ++kd) {
              const int64_t id = d0 + kd * w.dil[0];
              for (int64_t kh = 0; kh < w.k[1]; ++kh) {
                const int64_t ih = h0 + kh * w.dil[1];
                for (int64_t kw = 0; kw < w.k[2]; ++kw) {
                  const int64_t iw = w0 + kw * w.dil[2];
                  // Inside the padded input (what count_include_pad counts)?
                  if (id < -w.pad[0] || id >= w.in[0] + w.pad_end[0] || ih < -w.pad[1] ||
                      ih >= w.in[1] + w.pad_end[1] || iw < -w.pad[2] || iw >= w.in[2] + w.pad_end[2])
                    continue;
                  ++padded;
                  if (id < 0 || id >= w.in[0] || ih < 0 || ih >= w.in[1] || iw < 0 || iw >= w.in[2]) continue;
                  const int64_t i = (id * w.in[1] + ih) * w.in[2] + iw;
                  const T v = xr[i];
                  if (max_) {
                    if (best_at < 0 || v > best) { best = v; best_at = i; }
                  } else {
                    sum += static_cast<float>(v);
                    ++count;
                  }
                }
              }
            }
            if (max_) {
              y[r * s_out + o] = best;
              if (indices) {
                const int64_t id = best_at / (w.in[1] * w.in[2]), ih = best_at / w.in[2] % w.in[1], iw = best_at % w.in[2];
                const int64_t local = column_major_ ? (iw * w.in[1] + ih) * w.in[0] + id : best_at;
                indices[r * s_out + o] = r * s_in + local;
              }
            } else {
              const int64_t div = include_pad_ ? padded : count;
              y[r * s_out + o] = static_cast<T>(div ? sum / static_cast<float>(div) : 0.0f);
            }
          }
    }
  }

  Window w_;
  bool max_;
  DType dtype_;
  bool include_pad_, has_indices_, column_major_;
  int64_t rows_ = 0;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0)) return "input 0 is missing";
  const OpKind op = ctx.node->op;
  const DType d = ctx.inputs[0].dtype;
  if (d != DType::kFloat32 && !(is_max(op) && (d == DType::kInt8 || d == DType::kUInt8)))
    return cat("dtype ", dtype_name(d), " not supported");
  const Shape& x = ctx.inputs[0].shape;
  if (x.size() < 3 || x.size() > 5) return "needs 3-D to 5-D input";
  if (!is_global(op) && ctx.node->attr_ints("kernel_shape", {}).size() != x.size() - 2) return "kernel_shape missing or of the wrong rank";
  if (ctx.outputs[0].shape.size() != x.size() || ctx.outputs[0].shape[0] != x[0] || ctx.outputs[0].shape[1] != x[1])
    return "output must keep N and C";
  Window w;
  if (auto why = make_window(ctx, &w); !why.empty()) return why;
  if (!is_global(op)) {
    const bool ceil = ctx.node->attr_int("ceil_mode", 0) != 0;
    for (int i = 0; i < 3; ++i) {
      const int64_t span = (w.k[i] - 1) * w.dil[i] + 1, room = w.in[i] + w.pad[i] + w.pad_end[i] - span;
      const std::string auto_pad = ctx.node->attr_string("auto_pad", "NOTSET");
      if (room < 0 && auto_pad == "NOTSET") return "the window is larger than the padded input";
      if (auto_pad == "NOTSET" || auto_pad == "VALID") {
        const int64_t expect = (ceil ? (room + w.stride[i] - 1) / w.stride[i] : room / w.stride[i]) + 1;
        if (expect != w.out[i]) return "output spatial dims do not follow from the window";
      }
    }
  }
  if (ctx.outputs.size() > 1 && ctx.outputs[1].present() && (op != OpKind::MaxPool || ctx.outputs[1].dtype != DType::kInt64))
    return "Indices must be int64 (MaxPool only)";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<PoolKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> pool_entries() {
  return {{"ref_pool", OpKind::MaxPool, guarded<why_not>, create},
          {"ref_pool", OpKind::AveragePool, guarded<why_not>, create},
          {"ref_pool", OpKind::GlobalAveragePool, guarded<why_not>, create},
          {"ref_pool", OpKind::GlobalMaxPool, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
