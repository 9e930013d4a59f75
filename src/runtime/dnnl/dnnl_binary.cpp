// Add, Sub, Mul, Div, Max, Min of two inputs on oneDNN's binary, with NumPy broadcasting of
// one side (oneDNN broadcasts src1 only; commutative ops swap to get there, Sub swaps and
// negates). Full-shaped inputs share one layout, the first non-plain one among them, so a
// residual add or an SE block's x * sigmoid(pool(x)) stays in the convolutions' layout.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"

namespace octet::rt::onednn {
namespace {

using ir::OpKind;
using alg = dnnl::algorithm;

struct BinarySetup {
  alg algorithm = alg::binary_add;
  int src0 = 0, src1 = 1;  // node inputs feeding oneDNN's src0 (full shape) and src1
  bool negate = false;      // Sub with swapped inputs: dst = -(b - a)
  Layout layout = Layout::kPlain;       // of src0 and dst
  Layout src1_layout = Layout::kPlain;
  Shape src1_shape;                     // src1's shape at dst's rank
};

// The input's shape with leading ones up to `rank`.
Shape at_rank(const Shape& s, size_t rank) {
  Shape r(rank - s.size(), 1);
  r.insert(r.end(), s.begin(), s.end());
  return r;
}

std::string setup(const KernelContext& ctx, BinarySetup& s) {
  if (ctx.inputs.size() != 2 || !ctx.inputs[0].present() || !ctx.inputs[1].present()) return "needs two inputs";
  for (const TensorDesc& t : ctx.inputs)
    if (t.dtype != DType::kFloat32) return "not float32";
  const TensorDesc& y = ctx.outputs[0];
  if (y.dtype != DType::kFloat32) return "output not float32";
  if (y.numel() == 0) return "empty output";
  const size_t rank = y.shape.empty() ? 1 : y.shape.size();
  if (rank > 6) return "rank above 6";
  bool commutative = true;
  switch (ctx.node->op) {
    case OpKind::Add: s.algorithm = alg::binary_add; break;
    case OpKind::Sub: s.algorithm = alg::binary_sub; commutative = false; break;
    case OpKind::Mul: s.algorithm = alg::binary_mul; break;
    case OpKind::Div: s.algorithm = alg::binary_div; commutative = false; break;
    case OpKind::Max: s.algorithm = alg::binary_max; break;
    case OpKind::Min: s.algorithm = alg::binary_min; break;
    default: return "not a binary op";
  }
  const Shape y_shape = y.shape.empty() ? Shape{1} : y.shape;
  const bool full0 = at_rank(ctx.inputs[0].shape, rank) == y_shape;
  const bool full1 = at_rank(ctx.inputs[1].shape, rank) == y_shape;
  if (!full0 && !full1) return "both inputs broadcast";
  if (!full0) {
    if (ctx.node->op == OpKind::Div) return "Div with a broadcast numerator";
    s.src0 = 1;
    s.src1 = 0;
    s.negate = !commutative;
  }
  const TensorDesc& a = ctx.inputs[static_cast<size_t>(s.src0)];
  const TensorDesc& b = ctx.inputs[static_cast<size_t>(s.src1)];
  // The layout of the full-shaped inputs: the first non-plain one that fits. A full-shaped
  // input of lower rank (leading ones dropped) reads the same only in plain.
  const bool b_full = at_rank(b.shape, rank) == y_shape;
  const bool same_rank = a.shape.size() == rank && (!b_full || b.shape.size() == rank);
  s.layout = Layout::kPlain;
  if (same_rank && layout_fits(a.layout, rank)) s.layout = a.layout;
  if (same_rank && s.layout == Layout::kPlain && b_full && layout_fits(b.layout, rank)) s.layout = b.layout;
  s.src1_shape = at_rank(b.shape, rank);
  s.src1_layout = b_full ? s.layout : (b.shape.size() == rank ? b.layout : Layout::kPlain);
  if (!layout_fits(s.src1_layout, rank)) s.src1_layout = Layout::kPlain;
  return "";
}

// Same shapes in the same layout run as flat arrays: the fastest jit case, and the one oneDNN
// 2.6 has for padded nChw8c.
bool runs_flat(const KernelContext& ctx, const BinarySetup& s) {
  const Shape y_shape = ctx.outputs[0].shape.empty() ? Shape{1} : ctx.outputs[0].shape;
  return s.src1_shape == y_shape && s.src1_layout == s.layout;
}

dnnl::binary::primitive_desc make_pd(const KernelContext& ctx, const BinarySetup& s) {
  const TensorDesc& y = ctx.outputs[0];
  const Shape y_shape = y.shape.empty() ? Shape{1} : y.shape;
  dnnl::memory::desc src0 = md_of(y_shape, DType::kFloat32, s.layout);
  dnnl::memory::desc src1 = md_of(s.src1_shape, DType::kFloat32, s.src1_layout);
  if (runs_flat(ctx, s)) src0 = src1 = flat_md(TensorDesc{DType::kFloat32, y_shape, s.layout});
  dnnl::binary::desc d(s.algorithm, src0, src1, src0);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  if (s.negate) {
    dnnl::post_ops ops;
    ops.append_eltwise(1.0f, alg::eltwise_linear, -1.0f, 0.0f);
    attr.set_post_ops(ops);
  }
  return dnnl::binary::primitive_desc(d, attr, engine());
}

class BinaryKernel final : public DnnlKernel {
 public:
  BinaryKernel(KernelContext& ctx, const BinarySetup& s) {
    ctx.inputs[static_cast<size_t>(s.src0)].layout = s.layout;
    ctx.inputs[static_cast<size_t>(s.src1)].layout = s.src1_layout;
    ctx.outputs[0].layout = s.layout;
    ctx.output0_may_alias = s.src0;
    const auto pd = make_pd(ctx, s);
    add_call(dnnl::binary(pd), pd,
             {{DNNL_ARG_SRC_0, src_memory(s.src0, pd.src_desc(0))},
              {DNNL_ARG_SRC_1, src_memory(s.src1, pd.src_desc(1))},
              {DNNL_ARG_DST, dst_memory(0, pd.dst_desc())}});
    // Padding channels may now hold op(0, x) (a scalar added, 0 / 0): zero them again.
    zero_padding_after(0, ctx.outputs[0]);
  }
};

// Settles the layouts: src1 in its own, else src0's; else everything plain (oneDNN 2.6 has
// no jit Div over padded nChw8c, for one), whichever oneDNN runs fast.
std::string choose(const KernelContext& ctx, BinarySetup& s) {
  if (std::string why = setup(ctx, s); !why.empty()) return why;
  const size_t rank = ctx.outputs[0].shape.empty() ? 1 : ctx.outputs[0].shape.size();
  const bool b_full = s.src1_shape == (ctx.outputs[0].shape.empty() ? Shape{1} : ctx.outputs[0].shape);
  std::vector<std::pair<Layout, Layout>> options = {{s.layout, s.src1_layout}, {s.layout, s.layout},
                                                    {Layout::kPlain, Layout::kPlain}};
  std::string last;
  for (const auto& [main, l] : options) {
    if (!layout_fits(l, rank) || (l != Layout::kPlain && ctx.inputs[static_cast<size_t>(s.src1)].shape.size() != rank))
      continue;
    if (b_full && l != main) continue;
    s.layout = main;
    s.src1_layout = l;
    last = why_not_guarded([&] { return reference_why_not(make_pd(ctx, s)); });
    if (last.empty()) return "";
  }
  return last;
}

std::string why_not(const KernelContext& ctx) {
  BinarySetup s;
  return choose(ctx, s);
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  BinarySetup s;
  if (std::string why = choose(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_binary cannot run it: ", why);
  return std::make_unique<BinaryKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> binary_entries() {
  std::vector<KernelEntry> entries;
  for (OpKind op : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div, OpKind::Max, OpKind::Min})
    entries.push_back({"dnnl_binary", op, why_not, create});
  return entries;
}

}  // namespace octet::rt::onednn
