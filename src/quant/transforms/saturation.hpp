// The saturation fix for CPUs without VNNI. There, oneDNN's and ONNX Runtime's INT8 kernels
// multiply u8 activations by s8 weights with VPMADDUBSW, which adds two products into a
// saturating int16: |a1*w1 + a2*w2| > 32767 silently clips. Signed activations are shifted by
// +128 into u8 first, so the multiplier is always in [0, 255].
//
// Which two products share an int16 depends on the kernel (adjacent input channels in
// oneDNN's blocked weights; adjacent entries of the im2col row in MLAS), so the check here is
// pairing-agnostic: per output channel, the two largest same-sign products. Depthwise
// convolutions have no pairs (both libraries widen to 32 bits there).
#pragma once
#include <cstdint>
#include <vector>

#include "octet/tensor.hpp"
#include "quant/transforms/qparams.hpp"

namespace octet::quant {

// The reduction structure of a layer's weights: for output channel oc, which elements of the
// weight tensor it sums and which input channel each multiplies.
struct ReductionLayout {
  enum class Kind : uint8_t {
    kConv,           // W [Cout, Cin/g, k...], axis 0
    kMatMul,         // W [K, N], axis 1
    kMatMulNK,       // W [N, K] (Gemm with transB), axis 0
  };
  Kind kind = Kind::kConv;
  int64_t groups = 1;
};

// Range of the u8 values the kernel multiplies, per input channel of the layer.
struct MultiplierRange {
  std::vector<int32_t> lo, hi;
};

// The u8 multiplier range per input channel: from the calibrated per-channel min/max when
// given (empty vectors: the full quantized range), in the quantized domain of `act`, shifted by
// +128 for int8; zero padding (the zero point) is always included.
MultiplierRange multiplier_range(const QParams& act, int64_t channels, const std::vector<float>& channel_min,
                                 const std::vector<float>& channel_max);

// Per output channel of the quantized weights, the largest |pair sum| any pairing can produce.
std::vector<int64_t> worst_pair_sums(const Tensor& wq, const ReductionLayout& layout, const MultiplierRange& range);

// True for a depthwise layer (group > 1, one input channel per group), which has no pairs.
bool has_no_pairs(const Tensor& w, const ReductionLayout& layout);

constexpr int64_t kInt16Max = 32767;

}  // namespace octet::quant
