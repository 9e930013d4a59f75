// Unary activations and math on oneDNN's eltwise, in whatever layout the input arrives
// (so activations between convolutions stay nhwc or nChw8c): Relu, LeakyRelu, Sigmoid, Tanh,
// HardSigmoid, HardSwish, Clip, Elu, Exp, Log, Sqrt, Abs, Neg, Reciprocal, Softplus, Mish,
// Round, Gelu. Ops oneDNN lacks, or Clip with bounds computed at run time, go to the reference.
#include <limits>

#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"

namespace octet::rt::onednn {
namespace {

using ir::OpKind;
using alg = dnnl::algorithm;

struct Step {
  alg algorithm;
  float alpha = 0.0f, beta = 0.0f;
};

// One or two eltwise steps (the second as a post-op); "" or why not.
std::string steps_of(const KernelContext& ctx, std::vector<Step>& steps) {
  const ir::Node& node = *ctx.node;
  switch (node.op) {
    case OpKind::Relu: steps = {{alg::eltwise_relu}}; break;
    case OpKind::LeakyRelu: steps = {{alg::eltwise_relu, node.attr_float("alpha", 0.01f)}}; break;
    case OpKind::Sigmoid: steps = {{alg::eltwise_logistic}}; break;
    case OpKind::Tanh: steps = {{alg::eltwise_tanh}}; break;
    case OpKind::HardSigmoid:
      steps = {{alg::eltwise_linear, node.attr_float("alpha", 0.2f), node.attr_float("beta", 0.5f)},
               {alg::eltwise_clip_v2, 0.0f, 1.0f}};
      break;
    case OpKind::HardSwish: steps = {{alg::eltwise_hardswish}}; break;
    case OpKind::Elu: steps = {{alg::eltwise_elu, node.attr_float("alpha", 1.0f)}}; break;
    case OpKind::Exp: steps = {{alg::eltwise_exp}}; break;
    case OpKind::Log: steps = {{alg::eltwise_log}}; break;
    case OpKind::Sqrt: steps = {{alg::eltwise_sqrt}}; break;
    case OpKind::Abs: steps = {{alg::eltwise_abs}}; break;
    case OpKind::Neg: steps = {{alg::eltwise_linear, -1.0f, 0.0f}}; break;
    case OpKind::Reciprocal: steps = {{alg::eltwise_pow, 1.0f, -1.0f}}; break;
    case OpKind::Softplus: steps = {{alg::eltwise_soft_relu}}; break;
    case OpKind::Mish: steps = {{alg::eltwise_mish}}; break;
    case OpKind::Round: steps = {{alg::eltwise_round}}; break;
    case OpKind::Gelu: {
      const std::string approx = node.attr_string("approximate", "none");
      if (approx == "none") steps = {{alg::eltwise_gelu_erf}};
      else if (approx == "tanh") steps = {{alg::eltwise_gelu_tanh}};
      else return cat("unknown approximate '", approx, "'");
      break;
    }
    case OpKind::Clip: {
      float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
      if (node.has_attr("min") || node.has_attr("max")) {  // opset < 11
        lo = node.attr_float("min", lo);
        hi = node.attr_float("max", hi);
      }
      for (size_t i = 1; i < 3 && i < ctx.inputs.size(); ++i) {
        if (!ctx.inputs[i].present()) continue;
        const Tensor* t = ctx.constants[i];
        if (!t || t->numel() != 1 || t->dtype != DType::kFloat32) return "min and max must be float constants";
        (i == 1 ? lo : hi) = t->data<float>()[0];
      }
      steps = {{alg::eltwise_clip_v2, lo, hi}};
      break;
    }
    default: return "not an eltwise op";
  }
  return "";
}

// Eltwise is layout-blind: it runs over the whole buffer as a flat array (the jit kernels'
// fastest case, and the only one oneDNN 2.6 has for padded nChw8c with f(0) != 0), each step
// as its own primitive (2.6 has no jit eltwise with post-ops).
dnnl::eltwise_forward::primitive_desc make_pd(const dnnl::memory::desc& flat, const Step& step) {
  dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, step.algorithm, flat, step.alpha, step.beta);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::eltwise_forward::primitive_desc(d, attr, engine());
}

class EltwiseKernel final : public DnnlKernel {
 public:
  EltwiseKernel(KernelContext& ctx, const std::vector<Step>& steps) {
    ctx.outputs[0].layout = ctx.inputs[0].layout;
    ctx.output0_may_alias = 0;
    const dnnl::memory::desc flat = flat_md(ctx.inputs[0]);
    const dnnl::memory src = src_memory(0, flat), dst = dst_memory(0, flat);
    for (size_t i = 0; i < steps.size(); ++i) {
      const auto pd = make_pd(flat, steps[i]);
      add_call(dnnl::eltwise_forward(pd), pd, {{DNNL_ARG_SRC, i == 0 ? src : dst}, {DNNL_ARG_DST, dst}});
    }
    zero_padding_after(0, ctx.outputs[0]);
  }
};

std::string why_not(const KernelContext& ctx) {
  if (ctx.inputs.empty() || !ctx.inputs[0].present()) return "needs an input";
  const TensorDesc& x = ctx.inputs[0];
  if (x.dtype != DType::kFloat32 || ctx.outputs[0].dtype != DType::kFloat32) return "not float32";
  if (x.numel() == 0) return "empty input";
  if (!layout_fits(x.layout, x.shape.empty() ? 1 : x.shape.size())) return "layout not available at this rank";
  std::vector<Step> steps;
  if (std::string why = steps_of(ctx, steps); !why.empty()) return why;
  return why_not_guarded([&] {
    for (const Step& step : steps)
      if (std::string why = reference_why_not(make_pd(flat_md(x), step)); !why.empty()) return why;
    return std::string();
  });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  std::vector<Step> steps;
  if (std::string why = steps_of(ctx, steps); !why.empty()) fail(ctx.describe(), ": dnnl_eltwise cannot run it: ", why);
  return std::make_unique<EltwiseKernel>(ctx, steps);
}

}  // namespace

// Log is left to the reference kernel: oneDNN's eltwise_log gives log(1) = -1.4e-6, not 0, and
// fails the ONNX node test test_log_example.
std::vector<KernelEntry> eltwise_entries() {
  std::vector<KernelEntry> entries;
  for (OpKind op : {OpKind::Relu, OpKind::LeakyRelu, OpKind::Sigmoid, OpKind::Tanh, OpKind::HardSigmoid,
                    OpKind::HardSwish, OpKind::Clip, OpKind::Elu, OpKind::Exp, OpKind::Sqrt, OpKind::Abs,
                    OpKind::Neg, OpKind::Reciprocal, OpKind::Softplus, OpKind::Mish, OpKind::Round, OpKind::Gelu})
    entries.push_back({"dnnl_eltwise", op, why_not, create});
  return entries;
}

}  // namespace octet::rt::onednn
