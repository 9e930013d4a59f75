// The geometry of a convolution or pooling window in oneDNN's terms (dilation minus one,
// explicit left and right pads), from a node's ONNX attributes and the output shape that
// shape inference gave. Shared by the convolution, deconvolution and pooling kernels.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include <string>
#include <vector>

#include "runtime/kernel.hpp"

namespace octet::rt::onednn {

struct Window {
  dnnl::memory::dims kernel, strides, dilations, pad_l, pad_r;  // dilations as oneDNN: d - 1
  bool pads_extended = false;  // pad_r had to grow past the ONNX pads (ceil_mode)
};

// Reads kernel_shape (default: `kernel`), strides, dilations, pads and auto_pad for a forward
// window from `in` to `out` (full N, C, spatial shapes). Returns "" or why it cannot.
std::string forward_window(const ir::Node& node, const Shape& in, const Shape& out,
                           const std::vector<int64_t>& kernel, Window& window);

}  // namespace octet::rt::onednn
