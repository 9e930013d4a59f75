// Entries of the oneDNN INT8 kernels: the ops fold_qdq makes (QConv, QFullyConnected,
// QAveragePool), the data-movement ops it leaves on uint8/int8 tensors (MaxPool, Concat), and
// QuantizeLinear/DequantizeLinear as scaling reorders. INT8 activations travel in NHWC, the
// layout oneDNN's INT8 convolutions want, so consecutive INT8 layers need no reorder.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <vector>

#include "runtime/dnnl/dnnl_context.hpp"
#include "runtime/dnnl/dnnl_window.hpp"
#include "runtime/kernel.hpp"

namespace octet::rt::onednn::int8 {

std::vector<KernelEntry> qconv_entries();
std::vector<KernelEntry> qfully_connected_entries();
std::vector<KernelEntry> qaverage_pool_entries();
std::vector<KernelEntry> maxpool_entries();      // MaxPool on uint8/int8
std::vector<KernelEntry> concat_entries();       // Concat of uint8/int8
std::vector<KernelEntry> quantize_entries();     // QuantizeLinear, per tensor
std::vector<KernelEntry> dequantize_entries();   // DequantizeLinear, per tensor

// All of the above, for the kernel table (before the FP32 oneDNN kernels and the reference).
inline std::vector<KernelEntry> int8_entries() {
  std::vector<KernelEntry> all;
  for (auto entries : {qconv_entries(), qfully_connected_entries(), qaverage_pool_entries(), maxpool_entries(),
                       concat_entries(), quantize_entries(), dequantize_entries()})
    all.insert(all.end(), entries.begin(), entries.end());
  return all;
}

// The layout INT8 activations of this rank travel in: NHWC where oneDNN has it, else plain.
Layout int8_layout(size_t rank);

// A pooling primitive over x -> y (same int8 dtype) in `layout`, scratchpad in user mode;
// throws dnnl::error when oneDNN refuses.
dnnl::pooling_v2_forward::primitive_desc int8_pool_pd(dnnl::algorithm alg, const TensorDesc& x, const TensorDesc& y,
                                                      Layout layout, const Window& window);

// What an INT8 pooling kernel's setup decides: the layout it runs in and the primitive.
struct Int8PoolSetup {
  Layout layout = Layout::kNhwc;
  dnnl::pooling_v2_forward::primitive_desc pd;
};

// Runs the pooling primitive of an Int8PoolSetup (MaxPool on a quantized tensor, QAveragePool):
// input and output in its layout, nothing else to bind.
class Int8PoolKernel final : public DnnlKernel {
 public:
  Int8PoolKernel(KernelContext& ctx, const Int8PoolSetup& s);
};

// True when oneDNN's INT8 dot products on this CPU sum u8 x s8 products straight into int32
// (VNNI). Without VNNI (AVX2, AVX-512 before VNNI) pairs of products pass through a
// saturating int16 (VPMADDUBSW), and int8 sources are handled with weights scaled by 0.5, so
// results can differ from exact integer arithmetic (see tests/runtime/int8/saturation_test.cpp).
bool int8_dot_products_exact();

// An owned one-element s32 memory holding a zero point, for DNNL_ARG_ATTR_ZERO_POINTS.
dnnl::memory zero_point_memory(int32_t value);

}  // namespace octet::rt::onednn::int8
