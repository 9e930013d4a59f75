// Concat of uint8/int8 tensors (fold_qdq leaves DQ... -> Concat -> Q with one quantization as
// Concat on the quantized tensors) on oneDNN's concat, every input and the output in NHWC so
// that a channel Concat between INT8 convolutions needs no reorder.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"

namespace octet::rt::onednn::int8 {
namespace {

struct Setup {
  Layout layout = Layout::kNhwc;
  int axis = 0;
  dnnl::concat::primitive_desc pd;
};

std::string setup(const KernelContext& ctx, Setup& s) {
  const TensorDesc& y = ctx.outputs[0];
  if (y.dtype != DType::kUInt8 && y.dtype != DType::kInt8) return "only for uint8/int8 tensors";
  if (ctx.inputs.empty()) return "no inputs";
  const size_t rank = y.shape.size();
  if (rank == 0) return "scalars";
  for (const TensorDesc& x : ctx.inputs) {
    if (!x.present() || x.dtype != y.dtype || x.shape.size() != rank) return "inputs differ in dtype or rank";
    if (x.numel() == 0) return "an empty input";
  }
  int64_t axis = ctx.node->attr_int("axis", 0);
  if (axis < 0) axis += static_cast<int64_t>(rank);
  if (axis < 0 || axis >= static_cast<int64_t>(rank)) return "axis out of range";
  s.axis = static_cast<int>(axis);
  s.layout = int8_layout(rank);
  std::vector<dnnl::memory::desc> srcs;
  for (const TensorDesc& x : ctx.inputs) srcs.push_back(md_of(x.shape, x.dtype, s.layout));
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  s.pd = dnnl::concat::primitive_desc(md_of(y.shape, y.dtype, s.layout), s.axis, srcs, engine(), attr);
  // "simple_concat" is oneDNN's fast copy; only its generic reference is worth declining.
  return reference_why_not(s.pd);
}

class ConcatKernel final : public DnnlKernel {
 public:
  ConcatKernel(KernelContext& ctx, Setup& s) {
    std::vector<std::pair<int, dnnl::memory>> args;
    for (size_t i = 0; i < ctx.inputs.size(); ++i) {
      ctx.inputs[i].layout = s.layout;
      args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i),
                        src_memory(static_cast<int>(i), s.pd.src_desc(static_cast<int>(i))));
    }
    ctx.outputs[0].layout = s.layout;
    args.emplace_back(DNNL_ARG_DST, dst_memory(0, s.pd.dst_desc()));
    add_call(dnnl::concat(s.pd), s.pd, std::move(args));
  }
};

std::string why_not(const KernelContext& ctx) {
  Setup s;
  return why_not_guarded([&] { return setup(ctx, s); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  Setup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_int8_concat cannot run it: ", why);
  return std::make_unique<ConcatKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> concat_entries() { return {{"dnnl_int8_concat", ir::OpKind::Concat, why_not, create}}; }

}  // namespace octet::rt::onednn::int8
