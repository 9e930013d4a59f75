// MatMul on oneDNN's matmul: plain layouts, NumPy broadcasting of the batch dims (oneDNN takes
// batch dims of 1 on either side), a constant B packed once in the layout oneDNN prefers.
// Inputs of rank 1 (vector products) go to the reference.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"

namespace octet::rt::onednn {
namespace {

using tag = dnnl::memory::format_tag;

Shape at_rank(const Shape& s, size_t rank) {
  Shape r(rank - s.size(), 1);
  r.insert(r.end(), s.begin(), s.end());
  return r;
}

struct MatMulSetup {
  Shape a, b, y;              // at one rank
  bool b_constant = false;
};

std::string setup(const KernelContext& ctx, MatMulSetup& s) {
  if (ctx.inputs.size() != 2 || !ctx.inputs[0].present() || !ctx.inputs[1].present()) return "needs two inputs";
  for (const TensorDesc& t : ctx.inputs)
    if (t.dtype != DType::kFloat32) return "not float32";
  const TensorDesc& y = ctx.outputs[0];
  if (y.dtype != DType::kFloat32) return "output not float32";
  if (ctx.inputs[0].shape.size() < 2 || ctx.inputs[1].shape.size() < 2) return "rank-1 inputs";
  const size_t rank = y.shape.size();
  if (rank > 6) return "rank above 6";
  if (y.numel() == 0 || ctx.inputs[0].numel() == 0 || ctx.inputs[1].numel() == 0) return "empty tensor";
  s.a = at_rank(ctx.inputs[0].shape, rank);
  s.b = at_rank(ctx.inputs[1].shape, rank);
  s.y = y.shape;
  for (size_t i = 0; i + 2 < rank; ++i)
    if ((s.a[i] != s.y[i] && s.a[i] != 1) || (s.b[i] != s.y[i] && s.b[i] != 1)) return "batch dims do not broadcast";
  s.b_constant = ctx.constants[1] != nullptr;
  return "";
}

dnnl::matmul::primitive_desc make_pd(const MatMulSetup& s) {
  const dnnl::memory::desc a(dims_of(s.a), dnnl::memory::data_type::f32, tag_of(Layout::kPlain, s.a.size()));
  const dnnl::memory::desc b(dims_of(s.b), dnnl::memory::data_type::f32,
                             s.b_constant ? tag::any : tag_of(Layout::kPlain, s.b.size()));
  const dnnl::memory::desc y(dims_of(s.y), dnnl::memory::data_type::f32, tag_of(Layout::kPlain, s.y.size()));
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::matmul::primitive_desc(dnnl::matmul::desc(a, b, y), attr, engine());
}

class MatMulKernel final : public DnnlKernel {
 public:
  MatMulKernel(KernelContext& ctx, const MatMulSetup& s) {
    ctx.inputs[0].layout = Layout::kPlain;
    if (!s.b_constant) ctx.inputs[1].layout = Layout::kPlain;
    const auto pd = make_pd(s);
    dnnl::memory b;
    if (s.b_constant) {
      const dnnl::memory::desc user(dims_of(s.b), dnnl::memory::data_type::f32, tag_of(Layout::kPlain, s.b.size()));
      b = pack_constant(ctx.constants[1]->bytes.data(), user, pd.weights_desc());
    } else {
      b = src_memory(1, pd.weights_desc());
    }
    add_call(dnnl::matmul(pd), pd,
             {{DNNL_ARG_SRC, src_memory(0, pd.src_desc())}, {DNNL_ARG_WEIGHTS, b},
              {DNNL_ARG_DST, dst_memory(0, pd.dst_desc())}});
  }
};

std::string why_not(const KernelContext& ctx) {
  MatMulSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) return why;
  return why_not_guarded([&] { return reference_why_not(make_pd(s)); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  MatMulSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_matmul cannot run it: ", why);
  return std::make_unique<MatMulKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> matmul_entries() { return {{"dnnl_matmul", ir::OpKind::MatMul, why_not, create}}; }

}  // namespace octet::rt::onednn
