// Saturation analysis; see saturation.hpp.
#include "quant/transforms/saturation.hpp"


#include <algorithm>
#include <cmath>

#include "ir/qdq/scheme.hpp"
#include "octet/error.hpp"

namespace octet::quant {

MultiplierRange multiplier_range(const QParams& act, int64_t channels, const std::vector<float>& channel_min,
                                 const std::vector<float>& channel_max) {
  const int32_t shift = act.dtype == DType::kInt8 ? 128 : 0;
  const int32_t qmin = qmin_of(act.dtype), qmax = qmax_of(act.dtype), zp = act.zero_point.at(0);
  MultiplierRange r;
  r.lo.assign(static_cast<size_t>(channels), qmin + shift);
  r.hi.assign(static_cast<size_t>(channels), qmax + shift);
  const bool per_channel = static_cast<int64_t>(channel_min.size()) == channels &&
                           static_cast<int64_t>(channel_max.size()) == channels;
  if (!per_channel) return r;
  for (int64_t c = 0; c < channels; ++c) {
    const int32_t lo = ir::qdq::quantize(channel_min[static_cast<size_t>(c)], act.scale[0], zp, qmin, qmax);
    const int32_t hi = ir::qdq::quantize(channel_max[static_cast<size_t>(c)], act.scale[0], zp, qmin, qmax);
    r.lo[static_cast<size_t>(c)] = std::min(lo, zp) + shift;
    r.hi[static_cast<size_t>(c)] = std::max(hi, zp) + shift;
  }
  return r;
}

bool has_no_pairs(const Tensor& w, const ReductionLayout& layout) {
  // A single-input-channel convolution with group 1 still has pairs: MLAS's im2col row pairs
  // neighbouring kernel positions. Only depthwise kernels widen to 32 bits.
  if (layout.kind == ReductionLayout::Kind::kMatMul) return w.shape.at(0) < 2;
  if (layout.kind == ReductionLayout::Kind::kMatMulNK) return w.shape.at(1) < 2;
  return layout.groups > 1 && w.shape.at(1) == 1;
}

std::vector<int64_t> worst_pair_sums(const Tensor& wq, const ReductionLayout& layout, const MultiplierRange& range) {
  if (wq.dtype != DType::kInt8) fail("saturation check: weights must be int8");
  const int8_t* w = wq.data<int8_t>();
  const Shape& s = wq.shape;
  int64_t kernel = 1;
  for (size_t d = 2; d < s.size(); ++d) kernel *= s[d];
  // Enumerates, for output channel oc, (weight index, input channel) of its reduction.
  int64_t out_channels = 0;
  std::vector<int64_t> result;
  auto visit = [&](int64_t oc, auto&& use) {
    switch (layout.kind) {
      case ReductionLayout::Kind::kConv: {
        const int64_t cin_g = s[1], cout_g = s[0] / layout.groups, g = oc / cout_g;
        for (int64_t ci = 0; ci < cin_g; ++ci)
          for (int64_t k = 0; k < kernel; ++k) use((oc * cin_g + ci) * kernel + k, g * cin_g + ci);
        break;
      }
      case ReductionLayout::Kind::kMatMul: {
        const int64_t n = s[1];
        for (int64_t k = 0; k < s[0]; ++k) use(k * n + oc, k);
        break;
      }
      case ReductionLayout::Kind::kMatMulNK: {
        for (int64_t k = 0; k < s[1]; ++k) use(oc * s[1] + k, k);
        break;
      }
    }
  };
  switch (layout.kind) {
    case ReductionLayout::Kind::kConv: out_channels = s[0]; break;
    case ReductionLayout::Kind::kMatMul: out_channels = s[1]; break;
    case ReductionLayout::Kind::kMatMulNK: out_channels = s[0]; break;
  }
  result.assign(static_cast<size_t>(out_channels), 0);
  for (int64_t oc = 0; oc < out_channels; ++oc) {
    // The two largest products of either sign; a pair's sum is at most the sum of those.
    int64_t pos1 = 0, pos2 = 0, neg1 = 0, neg2 = 0;
    visit(oc, [&](int64_t idx, int64_t ci) {
      const int64_t wv = w[idx];
      const int64_t a = wv >= 0 ? range.hi[static_cast<size_t>(ci)] : range.lo[static_cast<size_t>(ci)];
      const int64_t b = wv >= 0 ? range.lo[static_cast<size_t>(ci)] : range.hi[static_cast<size_t>(ci)];
      const int64_t hi = a * wv, lo = b * wv;  // largest and smallest product this element can give
      if (hi > pos1) { pos2 = pos1; pos1 = hi; } else if (hi > pos2) { pos2 = hi; }
      if (lo < neg1) { neg2 = neg1; neg1 = lo; } else if (lo < neg2) { neg2 = lo; }
    });
    result[static_cast<size_t>(oc)] = std::max(pos1 + pos2, -(neg1 + neg2));
  }
  return result;
}

}  // namespace octet::quant
