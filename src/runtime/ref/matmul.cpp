// MatMul (NumPy semantics: 1-D promotion, broadcast batch dims) and the internal
// FullyConnected (Y = activation(X @ W + B), ops.def), float32, on the blocked GEMM. A batch
// of A against one shared B, the usual transformer case, is a single GEMM with M = batch * M.
#include "runtime/ref/activation.hpp"
#include "runtime/ref/gemm_core.hpp"
#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

struct MatMulDims {
  int64_t m = 1, k = 1, n = 1;
  Shape a_batch, b_batch, out_batch;
};

std::string matmul_dims(const Shape& a_in, const Shape& b_in, MatMulDims* d) {
  if (a_in.empty() || b_in.empty()) return "MatMul needs rank >= 1";
  Shape a = a_in, b = b_in;
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  if (a.back() != b[b.size() - 2]) return cat("inner dims differ: ", shape_str(a_in), " x ", shape_str(b_in));
  d->m = a[a.size() - 2];
  d->k = a.back();
  d->n = b.back();
  d->a_batch.assign(a.begin(), a.end() - 2);
  d->b_batch.assign(b.begin(), b.end() - 2);
  std::string why;
  d->out_batch = broadcast_shapes({d->a_batch, d->b_batch}, &why);
  return why;
}

class MatMulKernel final : public Kernel {
 public:
  explicit MatMulKernel(const KernelContext& ctx) {
    matmul_dims(ctx.inputs[0].shape, ctx.inputs[1].shape, &d_);
    const int64_t batch = shape_numel(d_.out_batch);
    empty_ = batch * d_.m * d_.n == 0;
    // Batch offsets of A and B (in matrices), by broadcasting index vectors.
    const Broadcast p = make_broadcast(d_.out_batch, {d_.a_batch, d_.b_batch});
    for (int64_t r = 0; r < p.rows; ++r) {
      int64_t off[3];
      p.row_offsets(r, off);
      for (int64_t i = 0; i < p.inner; ++i) {
        a_off_.push_back(off[0] + i * p.strides[0][p.rank - 1]);
        b_off_.push_back(off[1] + i * p.strides[1][p.rank - 1]);
      }
    }
    if (a_off_.empty()) { a_off_.push_back(0); b_off_.push_back(0); }
    merged_ = true;
    for (int64_t b = 0; b < batch; ++b) merged_ = merged_ && b_off_[static_cast<size_t>(b)] == 0 && a_off_[static_cast<size_t>(b)] == b;
  }

  void execute(const ExecArgs& args) override {
    const float* a = static_cast<const float*>(args.src[0]);
    const float* b = static_cast<const float*>(args.src[1]);
    float* y = static_cast<float*>(args.dst[0]);
    const int64_t m = d_.m, k = d_.k, n = d_.n;
    if (empty_) return;
    if (merged_) {
      sgemm(false, false, m * static_cast<int64_t>(a_off_.size()), n, k, 1.0f, a, k, b, n, 0.0f, y, n);
      return;
    }
    const int64_t batch = static_cast<int64_t>(a_off_.size());
#pragma omp parallel for schedule(static) if (batch > 1 && batch * m * n * k >= (int64_t{1} << 18))
    for (int64_t i = 0; i < batch; ++i)
      sgemm(false, false, m, n, k, 1.0f, a + a_off_[static_cast<size_t>(i)] * m * k, k,
            b + b_off_[static_cast<size_t>(i)] * k * n, n, 0.0f, y + i * m * n, n);
  }

 private:
  MatMulDims d_;
  std::vector<int64_t> a_off_, b_off_;
  bool merged_ = false, empty_ = false;
};

std::string why_not_matmul(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (ctx.inputs.size() != 2 || !input_present(ctx, 0) || !input_present(ctx, 1)) return "takes A and B";
  if (ctx.inputs[0].dtype != DType::kFloat32 || ctx.inputs[1].dtype != DType::kFloat32) return "float32 only";
  MatMulDims d;
  if (auto why = matmul_dims(ctx.inputs[0].shape, ctx.inputs[1].shape, &d); !why.empty()) return why;
  if (ctx.outputs[0].numel() != shape_numel(d.out_batch) * d.m * d.n) return "output size does not match";
  return "";
}

class FullyConnectedKernel final : public Kernel {
 public:
  explicit FullyConnectedKernel(const KernelContext& ctx) : has_bias_(input_present(ctx, 2)) {
    std::string why;
    Activation::parse(*ctx.node, &act_, &why);
    k_ = ctx.inputs[1].shape[0];
    n_ = ctx.inputs[1].shape[1];
    m_ = ctx.inputs[0].numel() / k_;
  }
  void execute(const ExecArgs& args) override {
    const float* bias = has_bias_ ? static_cast<const float*>(args.src[2]) : nullptr;
    float* y = static_cast<float*>(args.dst[0]);
    sgemm(false, false, m_, n_, k_, 1.0f, static_cast<const float*>(args.src[0]), k_,
          static_cast<const float*>(args.src[1]), n_, 0.0f, y, n_);
    const int64_t m = m_, n = n_;
#pragma omp parallel for schedule(static) if (m * n >= kParallelMin)
    for (int64_t i = 0; i < m; ++i) {
      float* yr = y + i * n;
      if (bias) {
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) yr[j] += bias[j];
      }
      act_.apply(yr, n);
    }
  }

 private:
  bool has_bias_;
  Activation act_;
  int64_t m_ = 0, k_ = 0, n_ = 0;
};

std::string why_not_fc(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0) || !input_present(ctx, 1)) return "takes X and W";
  for (size_t i = 0; i < ctx.inputs.size(); ++i)
    if (input_present(ctx, i) && ctx.inputs[i].dtype != DType::kFloat32) return "float32 only";
  const Shape& x = ctx.inputs[0].shape;
  const Shape& w = ctx.inputs[1].shape;
  if (x.size() < 2 || w.size() != 2 || x.back() != w[0]) return "needs X [..., K] and W [K, N]";
  if (input_present(ctx, 2) && ctx.inputs[2].numel() != w[1]) return "B must have N values";
  Shape out(x.begin(), x.end() - 1);
  out.push_back(w[1]);
  if (ctx.outputs[0].shape != out) return cat("output must be ", shape_str(out));
  std::string why;
  Activation act;
  if (!Activation::parse(*ctx.node, &act, &why)) return why;
  return "";
}

std::unique_ptr<Kernel> create_matmul(KernelContext& ctx) { return std::make_unique<MatMulKernel>(ctx); }
std::unique_ptr<Kernel> create_fc(KernelContext& ctx) { return std::make_unique<FullyConnectedKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> matmul_entries() {
  return {{"ref_matmul", OpKind::MatMul, guarded<why_not_matmul>, create_matmul},
          {"ref_fully_connected", OpKind::FullyConnected, guarded<why_not_fc>, create_fc}};
}

}  // namespace octet::rt::ref
