// Resize (opset 11+) on oneDNN's resampling, in whatever layout the input arrives in (the
// decoders of segmentation and line detectors resize between convolutions). oneDNN knows one
// coordinate rule, half-pixel on the size ratio: source = (o + 0.5) * in / out - 0.5, clamped
// to the edge, rounded to the nearest index for nearest, interpolated for linear. ONNX has
// six rules, scales that need not equal out / in, and four roundings, so the kernel accepts a
// node only where, dim by dim, ONNX's source coordinates are oneDNN's (and, for nearest, round
// to the same index without a tie); the reference kernel runs everything else.
#include <algorithm>
#include <cmath>

#include "octet/error.hpp"
#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_kernels.hpp"

namespace octet::rt::onednn {
namespace {

using ir::OpKind;

// ONNX's source coordinate of output index o (Resize-11+), or NaN for a mode not handled here.
double onnx_source(const std::string& coord, int64_t o, double scale, int64_t n_in) {
  const double len = static_cast<double>(n_in) * scale;  // ONNX's resized length, unrounded
  if (coord == "half_pixel") return (o + 0.5) / scale - 0.5;
  if (coord == "pytorch_half_pixel") return len > 1 ? (o + 0.5) / scale - 0.5 : 0.0;
  if (coord == "align_corners") return len == 1 ? 0.0 : o * static_cast<double>(n_in - 1) / (len - 1);
  if (coord == "asymmetric") return o / scale;
  if (coord == "tf_half_pixel_for_nn") return (o + 0.5) / scale;
  return std::nan("");
}

int64_t onnx_round(const std::string& mode, double x) {
  if (mode == "floor") return static_cast<int64_t>(std::floor(x));
  if (mode == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (mode == "round_prefer_ceil") return static_cast<int64_t>(std::floor(x + 0.5));
  return static_cast<int64_t>(std::ceil(x - 0.5));  // round_prefer_floor, the default
}

// "" when oneDNN's resampling computes what ONNX asks along one dim of n_in -> n_out.
std::string dim_matches(const ir::Node& node, bool nearest, double scale, int64_t n_in, int64_t n_out) {
  if (n_in == n_out && scale == 1.0) return "";  // a copy in every mode
  const std::string coord = node.attr_string("coordinate_transformation_mode", "half_pixel");
  const std::string rounding = node.attr_string("nearest_mode", "round_prefer_floor");
  const double last = static_cast<double>(n_in - 1);
  for (int64_t o = 0; o < n_out; ++o) {
    const double want = onnx_source(coord, o, scale, n_in);
    if (std::isnan(want)) return cat("coordinate_transformation_mode '", coord, "' has no oneDNN equivalent");
    const double have = (o + 0.5) * static_cast<double>(n_in) / static_cast<double>(n_out) - 0.5;
    if (nearest) {
      const double frac = have - std::floor(have);
      if (std::fabs(frac - 0.5) < 1e-4) return cat("output index ", o, " falls on a rounding tie");
      const int64_t a = std::clamp<int64_t>(static_cast<int64_t>(std::lround(have)), 0, n_in - 1);
      const int64_t b = std::clamp<int64_t>(onnx_round(rounding, want), 0, n_in - 1);
      if (a != b) return cat("'", coord, "' with ", rounding, " picks another source index than oneDNN at output ", o);
    } else if (std::fabs(std::clamp(want, 0.0, last) - std::clamp(have, 0.0, last)) > 1e-5) {
      return cat("'", coord, "' at scale ", scale, " maps output ", o, " elsewhere than oneDNN's half-pixel rule");
    }
  }
  return "";
}

struct ResizeSetup {
  dnnl::algorithm alg = dnnl::algorithm::resampling_nearest;
};

std::string setup(const KernelContext& ctx, ResizeSetup& s) {
  const ir::Node& node = *ctx.node;
  if (ctx.graph->opset < 11) return "Resize-10 (asymmetric, floor) is left to the reference kernel";
  if (ctx.inputs.empty() || !ctx.inputs[0].present()) return "input 0 is missing";
  const TensorDesc& x = ctx.inputs[0];
  const TensorDesc& y = ctx.outputs[0];
  if (x.dtype != DType::kFloat32 || y.dtype != DType::kFloat32) return "not float32";
  const size_t rank = x.shape.size();
  if (rank < 3 || rank > 5 || y.shape.size() != rank) return "needs rank 3 to 5 (N, C, spatial)";
  if (!layout_fits(x.layout, rank)) return "input layout not available at this rank";
  if (x.numel() == 0 || y.numel() == 0) return "empty tensor";
  if (y.shape[0] != x.shape[0] || y.shape[1] != x.shape[1]) return "resizes the batch or channel dim";
  const std::string mode = node.attr_string("mode", "nearest");
  if (mode == "linear") s.alg = dnnl::algorithm::resampling_linear;
  else if (mode != "nearest") return cat("mode '", mode, "' has no oneDNN equivalent");
  if (node.attr_int("antialias", 0) != 0) return "antialias";
  if (node.has_attr("axes")) return "the axes attribute";
  // Scales decide ONNX's coordinates; at run time they could change, so they must be constants.
  const bool has_scales = ctx.inputs.size() > 2 && ctx.inputs[2].present() && ctx.inputs[2].numel() > 0;
  if (has_scales && (!ctx.constants[2] || ctx.inputs[2].dtype != DType::kFloat32 ||
                     ctx.inputs[2].numel() != static_cast<int64_t>(rank)))
    return "scales are not a constant float32 per dim";
  for (size_t d = 2; d < rank; ++d) {
    const double scale = has_scales ? ctx.constants[2]->data<float>()[d]
                                    : static_cast<double>(y.shape[d]) / static_cast<double>(x.shape[d]);
    if (std::string why = dim_matches(node, mode == "nearest", scale, x.shape[d], y.shape[d]); !why.empty())
      return cat("dim ", d, ": ", why);
  }
  return "";
}

dnnl::resampling_forward::primitive_desc make_pd(const KernelContext& ctx, const ResizeSetup& s) {
  const dnnl::memory::desc src = md_of(ctx.inputs[0]);
  const dnnl::memory::desc dst = md_of(ctx.outputs[0].shape, DType::kFloat32, ctx.inputs[0].layout);
  dnnl::resampling_forward::desc d(dnnl::prop_kind::forward_inference, s.alg, src, dst);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return dnnl::resampling_forward::primitive_desc(d, attr, engine());
}

class ResizeKernel final : public DnnlKernel {
 public:
  ResizeKernel(KernelContext& ctx, const ResizeSetup& s) {
    ctx.outputs[0].layout = ctx.inputs[0].layout;
    const auto pd = make_pd(ctx, s);
    add_call(dnnl::resampling_forward(pd), pd,
             {{DNNL_ARG_SRC, src_memory(0, pd.src_desc())}, {DNNL_ARG_DST, dst_memory(0, pd.dst_desc())}});
  }
};

std::string why_not(const KernelContext& ctx) {
  ResizeSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) return why;
  return why_not_guarded([&] { return reference_why_not(make_pd(ctx, s)); });
}

std::unique_ptr<Kernel> create(KernelContext& ctx) {
  ResizeSetup s;
  if (std::string why = setup(ctx, s); !why.empty()) fail(ctx.describe(), ": dnnl_resize cannot run it: ", why);
  return std::make_unique<ResizeKernel>(ctx, s);
}

}  // namespace

std::vector<KernelEntry> resize_entries() { return {{"dnnl_resize", OpKind::Resize, why_not, create}}; }

}  // namespace octet::rt::onednn
