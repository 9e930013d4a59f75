// QuantizeLinear and DequantizeLinear (per tensor), each one oneDNN reorder (one file: they
// are the same reorder in two directions). Quantize: output scale 1/scale, dst zero point,
// rounding half to even and saturation, and the layout change to NHWC in the same pass, so
// the float -> INT8 boundary costs one read and one write. Per-axis scales go to the reference.
#include <cmath>

#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"

namespace octet::rt::onednn::int8 {
namespace {

struct Params {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// The scalar scale and zero point of a QuantizeLinear or DequantizeLinear, or why not.
std::string read_params(const KernelContext& ctx, Params& p) {
  const Tensor* scale = ctx.inputs.size() > 1 ? ctx.constants[1] : nullptr;
  if (!scale || scale->numel() != 1 || scale->dtype != DType::kFloat32) return "needs a constant scalar float scale";
  p.scale = scale->data<float>()[0];
  if (!(p.scale > 0.0f) || !std::isfinite(p.scale)) return "scale must be positive and finite";
  if (ctx.inputs.size() > 2 && ctx.inputs[2].present()) {
    const Tensor* zp = ctx.constants[2];
    if (!zp || zp->numel() != 1) return "needs a constant scalar zero point";
    if (zp->dtype == DType::kUInt8) p.zero_point = zp->data<uint8_t>()[0];
    else if (zp->dtype == DType::kInt8) p.zero_point = zp->data<int8_t>()[0];
    else return cat("zero point of type ", dtype_name(zp->dtype));
  }
  return "";
}

std::string check(const KernelContext& ctx, bool quantize, Params& p) {
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& y = ctx.outputs[0];
  const TensorDesc& real = quantize ? x : y;
  const TensorDesc& stored = quantize ? y : x;
  if (real.dtype != DType::kFloat32) return "the real side is not float32";
  if (stored.dtype != DType::kUInt8 && stored.dtype != DType::kInt8) return "the quantized side is not uint8/int8";
  if (x.numel() == 0) return "empty tensor";
  if (ctx.node->attr_int("saturate", 1) != 1) return "saturate=0 is for float8 types";
  if (ctx.node->has_attr("block_size") && ctx.node->attr_int("block_size", 0) != 0) return "blocked quantization";
  return read_params(ctx, p);
}

class ConvertKernel final : public DnnlKernel {
 public:
  ConvertKernel(KernelContext& ctx, bool quantize, const Params& p) {
    const size_t rank = ctx.inputs[0].shape.empty() ? 1 : ctx.inputs[0].shape.size();
    // Keep whatever layout the input arrives in when oneDNN has it at this rank (a reorder
    // reads any), and write INT8 images in the layout the INT8 convolutions want. Rank 3 stays
    // plain: there it is a transformer's [batch, tokens, features] far more often than a 1-D
    // convolution's [N, C, W], and INT8 matmuls read it plain.
    if (!layout_fits(ctx.inputs[0].layout, rank)) ctx.inputs[0].layout = Layout::kPlain;
    ctx.outputs[0].layout = !quantize ? ctx.inputs[0].layout : rank >= 4 ? int8_layout(rank) : Layout::kPlain;
    const dnnl::memory::desc src = md_of(ctx.inputs[0]), dst = md_of(ctx.outputs[0]);
    dnnl::primitive_attr attr = base_attr();
    attr.set_output_scales(0, {quantize ? 1.0f / p.scale : p.scale});
    const int zp_arg = quantize ? DNNL_ARG_DST : DNNL_ARG_SRC;
    if (p.zero_point != 0) attr.set_zero_points(zp_arg, 0, {DNNL_RUNTIME_S32_VAL});
    dnnl::reorder::primitive_desc pd(engine(), src, engine(), dst, attr);
    std::vector<std::pair<int, dnnl::memory>> args = {{DNNL_ARG_FROM, src_memory(0, src)},
                                                      {DNNL_ARG_TO, dst_memory(0, dst)}};
    if (p.zero_point != 0) args.emplace_back(DNNL_ARG_ATTR_ZERO_POINTS | zp_arg, zero_point_memory(p.zero_point));
    add_call(dnnl::reorder(pd), pd, std::move(args));
  }
};

template <bool kQuantize>
std::string why_not(const KernelContext& ctx) {
  Params p;
  return why_not_guarded([&] {
    if (std::string why = check(ctx, kQuantize, p); !why.empty()) return why;
    // Try the primitive as create() will make it.
    KernelContext probe = ctx;
    ConvertKernel kernel(probe, kQuantize, p);
    return std::string();
  });
}

template <bool kQuantize>
std::unique_ptr<Kernel> create(KernelContext& ctx) {
  Params p;
  if (std::string why = check(ctx, kQuantize, p); !why.empty())
    fail(ctx.describe(), ": the oneDNN ", kQuantize ? "quantize" : "dequantize", " reorder cannot run it: ", why);
  return std::make_unique<ConvertKernel>(ctx, kQuantize, p);
}

}  // namespace

std::vector<KernelEntry> quantize_entries() {
  return {{"dnnl_quantize", ir::OpKind::QuantizeLinear, why_not<true>, create<true>}};
}

std::vector<KernelEntry> dequantize_entries() {
  return {{"dnnl_dequantize", ir::OpKind::DequantizeLinear, why_not<false>, create<false>}};
}

}  // namespace octet::rt::onednn::int8
