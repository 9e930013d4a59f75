// QAveragePool on oneDNN's INT8 average pooling, when requantization is the identity (the
// same scale, zero point and type in and out, as ONNX Runtime's quantizer makes for pools):
// the mean of the stored integers is then the stored mean. Otherwise, and where padding would
// count as the stored 0 instead of the zero point, the reference kernel runs it.
#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/int8/int8_kernels.hpp"
#include "runtime/ref/q_attrs.hpp"
#include "runtime/ref/q_kernels.hpp"

namespace octet::rt::onednn::int8 {
namespace {

using Setup = Int8PoolSetup;

std::string setup(const KernelContext& ctx, Setup& s) {
  if (std::string why = ref::qaverage_pool_why_not(ctx); !why.empty()) return why;
  const q::QuantAttrs a = q::read_quant_attrs(*ctx.node);
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& y = ctx.outputs[0];
  if (a.dtype_y != x.dtype || a.scale_x != a.scale_y || a.zero_point_x != a.zero_point_y)
    return "requantizes (scales, zero points or types differ)";
  Window w;
  const bool global = ctx.node->attr_int("global", 0) != 0;
  if (global) {
    for (size_t d = 2; d < x.shape.size(); ++d) {
      w.kernel.push_back(x.shape[d]);
      w.strides.push_back(1);
      w.dilations.push_back(0);
      w.pad_l.push_back(0);
      w.pad_r.push_back(0);
    }
  } else if (std::string why = forward_window(*ctx.node, x.shape, y.shape, {}, w); !why.empty()) {
    return why;
  }
  bool padded = false;
  for (size_t i = 0; i < w.pad_l.size(); ++i) padded = padded || w.pad_l[i] > 0 || w.pad_r[i] > 0;
  const bool include_pad = ctx.node->attr_int("count_include_pad", 0) != 0;
  if (include_pad && padded && (a.zero_point_x != 0 || w.pads_extended))
    return "padding would count as the stored 0, not as the zero point";
  s.layout = int8_layout(x.shape.size());
  const auto alg = include_pad ? dnnl::algorithm::pooling_avg_include_padding : dnnl::algorithm::pooling_avg_exclude_padding;
  s.pd = int8_pool_pd(alg, x, y, s.layout, w);
  return reference_why_not(s.pd);
}

std::string why_not(const KernelContext& ctx) {
  Setup s;
  return why_not_guarded([&] { return setup(ctx, s); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  Setup s;
  if (std::string why = setup(ctx, s); !why.empty())
    fail(ctx.describe(), ": dnnl_qaverage_pool cannot run it: ", why);
  return std::make_unique<Int8PoolKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> qaverage_pool_entries() {
  return {{"dnnl_qaverage_pool", ir::OpKind::QAveragePool, why_not, create}};
}

}  // namespace octet::rt::onednn::int8
