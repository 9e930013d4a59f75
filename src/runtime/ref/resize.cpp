// Resize (opsets 10-17) and Upsample: nearest (four rounding modes), linear and cubic
// (cubic_coeff_a, exclude_outside) under every coordinate_transformation_mode, with
// tf_crop_and_resize's roi and extrapolation_value. Interpolation is separable, so each dim
// gets a table of up to four (index, weight) taps per output index, refreshed per run
// (scales and roi may be runtime inputs) in storage sized at create().
#include <cmath>

#include "runtime/ref/ref_kernels.hpp"
#include "runtime/ref/ref_util.hpp"

namespace octet::rt::ref {
namespace {

using ir::OpKind;

enum class Mode { kNearest, kLinear, kCubic };
enum class Coord { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric, kTfHalfPixelForNn, kTfCropAndResize };
enum class Round { kPreferFloor, kPreferCeil, kFloor, kCeil };

struct Config {
  Mode mode = Mode::kNearest;
  Coord coord = Coord::kHalfPixel;
  Round round = Round::kPreferFloor;
  float cubic_a = -0.75f, extrapolation = 0.0f;
  bool exclude_outside = false;
  int scales_input = -1, sizes_input = -1, roi_input = -1;  // input index, -1 when absent
};

std::string parse(const KernelContext& ctx, Config* c) {
  const ir::Node& node = *ctx.node;
  const bool legacy = node.op == OpKind::Upsample || ctx.graph->opset < 11;
  const std::string mode = node.attr_string("mode", "nearest");
  if (mode == "nearest") c->mode = Mode::kNearest;
  else if (mode == "linear" || mode == "bilinear") c->mode = Mode::kLinear;
  else if (mode == "cubic" && !legacy) c->mode = Mode::kCubic;
  else return cat("mode '", mode, "' is not supported");
  if (legacy) {
    // Upsample and Resize-10: asymmetric coordinates, nearest rounds down.
    c->coord = Coord::kAsymmetric;
    c->round = Round::kFloor;
    if (node.op == OpKind::Upsample && ctx.graph->opset < 9) c->scales_input = -2;  // the attribute
    else c->scales_input = 1;
    return "";
  }
  const std::string coord = node.attr_string("coordinate_transformation_mode", "half_pixel");
  if (coord == "half_pixel") c->coord = Coord::kHalfPixel;
  else if (coord == "pytorch_half_pixel") c->coord = Coord::kPytorchHalfPixel;
  else if (coord == "align_corners") c->coord = Coord::kAlignCorners;
  else if (coord == "asymmetric") c->coord = Coord::kAsymmetric;
  else if (coord == "tf_half_pixel_for_nn") c->coord = Coord::kTfHalfPixelForNn;
  else if (coord == "tf_crop_and_resize") c->coord = Coord::kTfCropAndResize;
  else return cat("coordinate_transformation_mode '", coord, "' is not defined");
  const std::string round = node.attr_string("nearest_mode", "round_prefer_floor");
  if (round == "round_prefer_floor") c->round = Round::kPreferFloor;
  else if (round == "round_prefer_ceil") c->round = Round::kPreferCeil;
  else if (round == "floor") c->round = Round::kFloor;
  else if (round == "ceil") c->round = Round::kCeil;
  else return cat("nearest_mode '", round, "' is not defined");
  c->cubic_a = node.attr_float("cubic_coeff_a", -0.75f);
  c->exclude_outside = node.attr_int("exclude_outside", 0) != 0;
  c->extrapolation = node.attr_float("extrapolation_value", 0.0f);
  if (node.has_attr("antialias") && node.attr_int("antialias", 0) != 0) return "antialias is not supported";
  if (input_present(ctx, 1)) c->roi_input = 1;
  if (input_present(ctx, 2) && ctx.inputs[2].numel() > 0) c->scales_input = 2;
  if (input_present(ctx, 3) && ctx.inputs[3].numel() > 0) c->sizes_input = 3;
  return "";
}

class ResizeKernel final : public Kernel {
 public:
  explicit ResizeKernel(const KernelContext& ctx) : dtype_(ctx.inputs[0].dtype) {
    parse(ctx, &c_);
    const Shape& in = ctx.inputs[0].shape;
    rank_ = static_cast<int>(in.size());
    int64_t stride = 1;
    for (int d = rank_ - 1; d >= 0; --d) {
      in_[d] = in[static_cast<size_t>(d)];
      out_[d] = ctx.outputs[0].shape[static_cast<size_t>(d)];
      stride_[d] = stride;
      stride *= in_[d];
    }
    for (int d = 0; d < rank_; ++d) {
      first_[d] = static_cast<int64_t>(idx_.size()) / 4;
      idx_.resize(idx_.size() + static_cast<size_t>(out_[d]) * 4);
      w_.resize(w_.size() + static_cast<size_t>(out_[d]) * 4);
      outside_.resize(outside_.size() + static_cast<size_t>(out_[d]));
    }
    if (c_.scales_input == -2) attr_scales_ = ctx.node->attr_floats("scales");
    if (c_.roi_input >= 0) roi_dtype_ = ctx.inputs[static_cast<size_t>(c_.roi_input)].dtype;
  }

  void execute(const ExecArgs& args) override {
    for (int d = 0; d < rank_; ++d) {
      double scale = static_cast<double>(out_[d]) / static_cast<double>(in_[d]);
      if (c_.scales_input == -2) scale = attr_scales_[static_cast<size_t>(d)];
      else if (c_.scales_input >= 0) scale = static_cast<const float*>(args.src[c_.scales_input])[d];
      double roi_start = 0, roi_end = 1;
      if (c_.coord == Coord::kTfCropAndResize && c_.roi_input >= 0) {
        roi_start = read_number(roi_dtype_, args.src[c_.roi_input], d);
        roi_end = read_number(roi_dtype_, args.src[c_.roi_input], d + rank_);
      }
      fill_taps(d, scale, roi_start, roi_end);
    }
    visit_dtype(dtype_, [&](auto tag) {
      using T = decltype(tag);
      run(static_cast<const T*>(args.src[0]), static_cast<T*>(args.dst[0]));
    });
  }

 private:
  void fill_taps(int d, double scale, double roi_start, double roi_end) {
    const int64_t n_in = in_[d], n_out = out_[d];
    int64_t* idx = idx_.data() + first_[d] * 4;
    float* w = w_.data() + first_[d] * 4;
    uint8_t* outside = outside_.data() + first_[d];
    // ONNX measures the resized length as in * scale (not rounded) when scales are given.
    const double len_resized = static_cast<double>(n_in) * scale;
    for (int64_t o = 0; o < n_out; ++o) {
      double x = 0;
      switch (c_.coord) {
        case Coord::kHalfPixel: x = (o + 0.5) / scale - 0.5; break;
        case Coord::kPytorchHalfPixel: x = len_resized > 1 ? (o + 0.5) / scale - 0.5 : 0; break;
        case Coord::kAlignCorners: x = len_resized == 1 ? 0 : o * static_cast<double>(n_in - 1) / (len_resized - 1); break;
        case Coord::kAsymmetric: x = o / scale; break;
        case Coord::kTfHalfPixelForNn: x = (o + 0.5) / scale; break;
        case Coord::kTfCropAndResize:
          x = n_out > 1 ? roi_start * (n_in - 1) + o * (roi_end - roi_start) * (n_in - 1) / static_cast<double>(n_out - 1)
                        : 0.5 * (roi_start + roi_end) * (n_in - 1);
          break;
      }
      outside[o] = c_.coord == Coord::kTfCropAndResize && (x < 0 || x > static_cast<double>(n_in - 1));
      int64_t* ti = idx + o * 4;
      float* tw = w + o * 4;
      std::fill(ti, ti + 4, 0);
      std::fill(tw, tw + 4, 0.0f);
      auto clampi = [&](int64_t i) { return std::clamp<int64_t>(i, 0, n_in - 1); };
      // An unscaled dim (the N and C of an image resize) is a plain copy in every mode.
      const bool identity = n_in == n_out && scale == 1.0 && c_.coord != Coord::kTfCropAndResize;
      if (c_.mode == Mode::kNearest || identity) {
        int64_t i;
        if (c_.mode != Mode::kNearest) i = static_cast<int64_t>(std::llround(x));
        else switch (c_.round) {
          case Round::kPreferFloor: i = x == std::floor(x) + 0.5 ? static_cast<int64_t>(std::floor(x)) : static_cast<int64_t>(std::round(x)); break;
          case Round::kPreferCeil: i = static_cast<int64_t>(std::round(x)); break;
          case Round::kFloor: i = static_cast<int64_t>(std::floor(x)); break;
          default: i = static_cast<int64_t>(std::ceil(x)); break;
        }
        ti[0] = clampi(i);
        tw[0] = 1.0f;
      } else if (c_.mode == Mode::kLinear) {
        const double xc = std::clamp(x, 0.0, static_cast<double>(n_in - 1));
        const int64_t i0 = static_cast<int64_t>(std::floor(xc));
        const double t = xc - i0;
        ti[0] = clampi(i0);
        ti[1] = clampi(i0 + 1);
        tw[0] = static_cast<float>(1 - t);
        tw[1] = static_cast<float>(t);
      } else {
        const int64_t i0 = static_cast<int64_t>(std::floor(x));
        const double t = x - i0, a = c_.cubic_a;
        double cw[4];
        const double t1 = t + 1, t2 = 1 - t, t3 = 2 - t;
        cw[0] = ((a * t1 - 5 * a) * t1 + 8 * a) * t1 - 4 * a;
        cw[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
        cw[2] = ((a + 2) * t2 - (a + 3)) * t2 * t2 + 1;
        cw[3] = ((a * t3 - 5 * a) * t3 + 8 * a) * t3 - 4 * a;
        double total = 0;
        for (int k = 0; k < 4; ++k) {
          const int64_t i = i0 - 1 + k;
          if (c_.exclude_outside && (i < 0 || i >= n_in)) cw[k] = 0;
          total += cw[k];
        }
        for (int k = 0; k < 4; ++k) {
          ti[k] = clampi(i0 - 1 + k);
          tw[k] = static_cast<float>(c_.exclude_outside && total != 0 ? cw[k] / total : cw[k]);
        }
      }
    }
  }

  template <class T>
  void run(const T* x, T* y) const {
    const int r = rank_;
    const int taps = c_.mode == Mode::kNearest ? 1 : c_.mode == Mode::kLinear ? 2 : 4;
    // Dims whose taps are not a single weight-1 copy: only those loop over taps.
    int multi[kMaxRank], n_multi = 0;
    for (int d = 0; d < r; ++d) {
      bool single = taps == 1;
      if (!single) {
        single = true;
        const float* w = w_.data() + first_[d] * 4;
        for (int64_t o = 0; o < out_[d] && single; ++o) single = w[o * 4] == 1.0f;
      }
      if (!single) multi[n_multi++] = d;
    }
    int64_t total = 1;
    for (int d = 0; d < r; ++d) total *= out_[d];
    int64_t combos = 1;
    for (int m = 0; m < n_multi; ++m) combos *= taps;
    const float extrapolation = c_.extrapolation;
#pragma omp parallel for schedule(static) if (total * combos >= kParallelMin)
    for (int64_t o = 0; o < total; ++o) {
      int64_t coord[kMaxRank];
      int64_t rem = o, base = 0;
      bool outside = false;
      for (int d = r - 1; d >= 0; --d) {
        coord[d] = rem % out_[d];
        rem /= out_[d];
        outside = outside || outside_[static_cast<size_t>(first_[d] + coord[d])];
        base += idx_[static_cast<size_t>((first_[d] + coord[d]) * 4)] * stride_[d];
      }
      if (outside) { y[o] = static_cast<T>(extrapolation); continue; }
      if (n_multi == 0) { y[o] = x[base]; continue; }
      float acc = 0;
      for (int64_t c = 0; c < combos; ++c) {
        int64_t off = base, cc = c;
        float weight = 1.0f;
        for (int m = 0; m < n_multi; ++m) {
          const int d = multi[m];
          const int k = static_cast<int>(cc % taps);
          cc /= taps;
          const size_t t = static_cast<size_t>((first_[d] + coord[d]) * 4);
          off += (idx_[t + static_cast<size_t>(k)] - idx_[t]) * stride_[d];
          weight *= w_[t + static_cast<size_t>(k)];
        }
        acc += weight * static_cast<float>(x[off]);
      }
      if constexpr (std::is_integral_v<T>) y[o] = static_cast<T>(std::nearbyint(acc));
      else y[o] = static_cast<T>(acc);
    }
  }

  Config c_;
  DType dtype_;
  int rank_ = 0;
  int64_t in_[kMaxRank] = {}, out_[kMaxRank] = {}, stride_[kMaxRank] = {}, first_[kMaxRank] = {};
  std::vector<int64_t> idx_;      // per dim, per output index: 4 input indices
  std::vector<float> w_;          // and their weights
  std::vector<uint8_t> outside_;  // per dim, per output index: extrapolated (tf_crop_and_resize)
  std::vector<float> attr_scales_;
  DType roi_dtype_ = DType::kFloat32;
};

std::string why_not(const KernelContext& ctx) {
  if (auto why = require_plain(ctx); !why.empty()) return why;
  if (!input_present(ctx, 0)) return "input 0 is missing";
  const DType d = ctx.inputs[0].dtype;
  if (d != DType::kFloat32 && d != DType::kUInt8 && d != DType::kInt8) return cat("dtype ", dtype_name(d), " not supported");
  Config c;
  if (auto why = parse(ctx, &c); !why.empty()) return why;
  const size_t rank = ctx.inputs[0].shape.size();
  if (ctx.outputs[0].shape.size() != rank) return "output rank differs";
  if (c.scales_input >= 0) {
    const TensorDesc& s = ctx.inputs[static_cast<size_t>(c.scales_input)];
    if (s.dtype != DType::kFloat32 || s.numel() != static_cast<int64_t>(rank)) return "scales must be float32, one per dim";
  }
  if (c.scales_input == -2 && ctx.node->attr_floats("scales").size() != rank) return "scales must have one value per dim";
  if (c.coord == Coord::kTfCropAndResize &&
      (c.roi_input < 0 || ctx.inputs[1].numel() != static_cast<int64_t>(2 * rank) || !is_float_dtype(ctx.inputs[1].dtype)))
    return "tf_crop_and_resize needs a float roi of 2 * rank values";
  for (size_t i = 0; i < rank; ++i)
    if (ctx.inputs[0].shape[i] == 0) return "empty input";
  return "";
}

std::unique_ptr<Kernel> create(KernelContext& ctx) { return std::make_unique<ResizeKernel>(ctx); }

}  // namespace

std::vector<KernelEntry> resize_entries() {
  return {{"ref_resize", OpKind::Resize, guarded<why_not>, create},
          {"ref_resize", OpKind::Upsample, guarded<why_not>, create}};
}

}  // namespace octet::rt::ref
